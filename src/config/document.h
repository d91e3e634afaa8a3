// A parsed YAML/JSON document as a plain tree in which every node remembers its file, line and
// column. We convert yaml-cpp's nodes into this tree once, so that merging documents
// (`extends:`) keeps each value's own location and yaml-cpp stays out of other headers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace attnsim::config {

struct Entry;

struct Node {
  enum class Kind { null, scalar, sequence, map };
  Kind kind = Kind::null;
  std::string scalar;          // text of a scalar, as written (unquoted)
  bool quoted = false;         // a quoted scalar is always a string, never a number
  std::vector<Entry> entries;  // map entries in file order (keys are unique)
  std::vector<Node> items;     // sequence items
  SourceLocation where;

  bool is_map() const { return kind == Kind::map; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_scalar() const { return kind == Kind::scalar; }
  const Node* find(std::string_view key) const;
  // "a map", "a list", "the number 4", "the text 'abc'", "nothing": for error messages.
  std::string describe() const;
};

struct Entry {
  std::string key;
  SourceLocation key_where;
  Node value;
};

// Parses a YAML (or JSON) file. Throws UserError for unreadable files, syntax errors, duplicate
// keys, non-string keys and nesting deeper than 64 levels. `display_name` is used in messages.
Node load_document(const std::filesystem::path& path, const std::string& display_name);
Node parse_document(const std::string& text, const std::string& display_name);

// Recursively overlays `patch` on `base`: maps merge key by key, anything else replaces.
// A patch map holding `kind:` replaces the base map entirely (a different mixer is a new thing).
Node merge_documents(const Node& base, const Node& patch);

}  // namespace attnsim::config
