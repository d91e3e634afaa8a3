// Typed access to a Hugging Face config.json: values are looked up in `text_config` (for
// multimodal wrappers) and then at the top level; a key the file omits falls back to the
// transformers library default for its model_type (library_defaults.cpp), and each fallback
// used is recorded so the generated file can say so.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "config/document.h"

namespace attnsim::import {

class HfConfig {
 public:
  HfConfig(config::Node root, std::string file);

  const std::string& file() const { return file_; }
  // The top-level model_type (the text model's when the top level has none).
  const std::string& model_type() const { return model_type_; }
  // The model_type of the text model: text_config's for multimodal wrappers ("mistral" inside
  // "mistral3"), else model_type(). Its transformers class supplies the defaults.
  const std::string& text_model_type() const { return text_model_type_; }
  // `"_partial": true`: only some keys were recovered (see hf-configs/SOURCES.md).
  bool partial() const { return partial_; }

  bool has(std::string_view key) const;  // present and not null (defaults not consulted)
  // Written as null: transformers then takes None, not the class default.
  bool is_null(std::string_view key) const;
  // The node written for `key` (text_config first); nullptr when absent or null.
  const config::Node* node(std::string_view key) const;
  // Where the key's value is written (the file's top level when absent), for located errors.
  SourceLocation where(std::string_view key) const;
  std::uint64_t count(std::string_view key) const;  // whole number ≥ 0
  std::uint64_t positive(std::string_view key) const;
  std::optional<std::uint64_t> optional_count(std::string_view key) const;  // absent/null → none
  std::optional<std::uint64_t> optional_positive(std::string_view key) const;  // absent/null → none
  // A positive whole number of at most `max` (the architecture schema's bound on the same
  // quantity), checked before anything is sized by it.
  std::uint64_t positive_at_most(std::string_view key, std::uint64_t max, std::string_view unit,
                                 std::string_view hint = {}) const;
  double number(std::string_view key) const;
  std::optional<double> optional_number(std::string_view key) const;
  bool boolean(std::string_view key) const;
  std::optional<bool> optional_boolean(std::string_view key) const;
  std::string text(std::string_view key) const;
  std::optional<std::string> optional_text(std::string_view key) const;
  std::vector<std::uint64_t> counts(std::string_view key) const;
  std::vector<std::string> texts(std::string_view key) const;

  // Notes on library defaults used so far ("sliding_window_pattern = 6: Gemma3TextConfig ...").
  const std::vector<std::string>& defaults_used() const { return defaults_used_; }

 private:
  // The value of `key` ("a.b" for nested maps): the file's, else the library default's; null
  // when the file writes null.
  const config::Node* lookup(std::string_view key) const;
  // The node written for `key` (text_config first), null values included; nullptr if absent.
  const config::Node* written(std::string_view key) const;
  const config::Node& require(std::string_view key, std::string_view expected) const;

  config::Node root_;
  std::string file_;
  std::string model_type_;
  std::string text_model_type_;
  bool partial_ = false;
  mutable std::deque<config::Node> default_nodes_;  // stable addresses for defaults handed out
  mutable std::vector<std::string> defaults_used_;
};

// Loads a config.json (bare Infinity/NaN tokens, as HF writes them, are accepted).
HfConfig load_hf_config(const std::string& path);

}  // namespace attnsim::import
