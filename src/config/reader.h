// Typed, key-tracking access to a map node. Every key a spec declares is read through a
// MapReader; finish() then rejects any key nobody asked for, with a "did you mean" hint.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/document.h"
#include "core/units.h"

namespace attnsim::config {

class MapReader {
 public:
  // Throws UserError unless `node` is a map. `path` is the key path of `node` ("mixers.gdn").
  MapReader(const Node& node, std::string path);

  const std::string& path() const { return path_; }
  const Node& node() const { return node_; }
  std::string child_path(std::string_view key) const;

  // The raw node of a key (nullptr if absent); marks the key as known.
  const Node* get(std::string_view key);
  const Node& require(std::string_view key, std::string_view expected);
  bool has(std::string_view key) const { return node_.find(key) != nullptr; }

  std::uint64_t required_positive(std::string_view key);
  std::optional<std::uint64_t> optional_positive(std::string_view key);
  std::uint64_t optional_positive(std::string_view key, std::uint64_t default_value);
  std::optional<std::uint64_t> optional_count(std::string_view key);  // may be 0
  double required_number(std::string_view key);
  std::optional<double> optional_number(std::string_view key);
  bool optional_bool(std::string_view key, bool default_value);
  std::string required_string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  DType required_dtype(std::string_view key);
  std::optional<DType> optional_dtype(std::string_view key);
  std::vector<std::string> optional_string_list(std::string_view key);
  // Calls `read(item, item_path)` for each item of the list under `key` ("key[i]"); nothing when
  // the key is absent; a value that is not a list is an error expecting `expected`.
  void for_each_item(std::string_view key, std::string_view expected,
                     const std::function<void(const Node&, const std::string&)>& read);

  // Declares keys that are read elsewhere (e.g. by a child reader) so finish() accepts them.
  void declare(std::string_view key);
  // Rejects keys that were never declared or read: all of them in one UserErrors, except those
  // a missing required key's message already named as its likely misspelling.
  void finish() const;

 private:
  const Node& node_;
  std::string path_;
  std::vector<std::string> known_;
  std::vector<std::string> named_misspellings_;
};

// Scalar conversions for nodes outside a MapReader (list items). `path` names the value.
std::uint64_t as_positive(const Node& node, const std::string& path);
std::uint64_t as_count(const Node& node, const std::string& path);
std::string as_string(const Node& node, const std::string& path);
double as_number(const Node& node, const std::string& path);

// The candidate closest to `word` by edit distance, or "" if none is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace attnsim::config
