// Implementation of HfConfig lookups and their error messages.
#include "import/hf_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/reader.h"
#include "import/library_defaults.h"

namespace attnsim::import {

namespace {
// The node at `key` ("a.b" for nested maps), null values included.
const config::Node* find_path(const config::Node& node, std::string_view key) {
  const config::Node* current = &node;
  std::size_t start = 0;
  while (current != nullptr) {
    const std::size_t dot = key.find('.', start);
    current = current->find(key.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return current;
}

bool is_null_node(const config::Node* node) {
  return node != nullptr && node->kind == config::Node::Kind::null;
}
}  // namespace

HfConfig::HfConfig(config::Node root, std::string file)
    : root_(std::move(root)), file_(std::move(file)) {
  if (!root_.is_map())
    throw UserError(root_.where, "", "a JSON object (a config.json)", root_.describe());
  const config::Node* text_config = root_.find("text_config");
  if (const auto* type = root_.find("model_type"); type != nullptr && type->is_scalar())
    model_type_ = type->scalar;
  else if (text_config != nullptr && text_config->find("model_type") != nullptr)
    model_type_ = text_config->find("model_type")->scalar;
  if (const auto* partial = root_.find("_partial")) partial_ = partial->scalar == "true";
  text_model_type_ = model_type_;
  if (text_config != nullptr)
    if (const config::Node* type = text_config->find("model_type"); type && type->is_scalar())
      text_model_type_ = type->scalar;
  if (text_model_type_ == "gemma3") text_model_type_ = "gemma3_text";
  // A few configs name only their class; map it to the model_type its family uses.
  if (model_type_.empty())
    if (const auto* classes = root_.find("architectures"); classes && classes->is_sequence())
      for (const auto& item : classes->items)
        if (item.scalar == "SarvamMLAForCausalLM") model_type_ = "sarvam_mla";
}

const config::Node* HfConfig::written(std::string_view key) const {
  if (const config::Node* text_config = root_.find("text_config"))
    if (const config::Node* value = find_path(*text_config, key)) return value;
  return find_path(root_, key);
}

const config::Node* HfConfig::lookup(std::string_view key) const {
  // An explicit null is transformers' None: the class default does not apply.
  if (const config::Node* value = written(key)) return is_null_node(value) ? nullptr : value;
  // Multimodal wrappers take text defaults from their text model's class.
  const auto fallback = library_default(text_model_type_, key);
  if (!fallback) return nullptr;
  const std::string note = fmt::format("{} = {}: {}", key, fallback->value, fallback->source);
  if (std::find(defaults_used_.begin(), defaults_used_.end(), note) == defaults_used_.end())
    defaults_used_.push_back(note);
  config::Node node;
  node.kind = config::Node::Kind::scalar;
  node.scalar = std::string(fallback->value);
  node.where = {file_, 0, 0};
  default_nodes_.push_back(node);
  return &default_nodes_.back();
}

const config::Node& HfConfig::require(std::string_view key, std::string_view expected) const {
  if (const config::Node* value = lookup(key)) return *value;
  throw UserError(root_.where, std::string(key),
                  fmt::format("{} (the {} mapping needs it)", expected, model_type_), "no such key",
                  partial_ ? "this config is marked _partial: the value was not recovered"
                           : "is this the model's complete config.json?");
}

bool HfConfig::has(std::string_view key) const {
  const config::Node* value = written(key);
  return value != nullptr && !is_null_node(value);
}

const config::Node* HfConfig::node(std::string_view key) const {
  const config::Node* value = written(key);
  return is_null_node(value) ? nullptr : value;
}

bool HfConfig::is_null(std::string_view key) const { return is_null_node(written(key)); }

SourceLocation HfConfig::where(std::string_view key) const {
  const config::Node* value = written(key);
  return value != nullptr ? value->where : root_.where;
}

std::uint64_t HfConfig::positive_at_most(std::string_view key, std::uint64_t max,
                                         std::string_view unit, std::string_view hint) const {
  const config::Node& node = require(key, "a positive whole number");
  const std::uint64_t value = config::as_positive(node, std::string(key));
  if (value > max)
    throw UserError(node.where, std::string(key), fmt::format("at most {} {}", max, unit),
                    std::to_string(value), std::string(hint));
  return value;
}

std::uint64_t HfConfig::count(std::string_view key) const {
  return config::as_count(require(key, "a whole number"), std::string(key));
}

std::uint64_t HfConfig::positive(std::string_view key) const {
  return config::as_positive(require(key, "a positive whole number"), std::string(key));
}

std::optional<std::uint64_t> HfConfig::optional_count(std::string_view key) const {
  const config::Node* value = lookup(key);
  if (value == nullptr) return std::nullopt;
  return config::as_count(*value, std::string(key));
}

std::optional<std::uint64_t> HfConfig::optional_positive(std::string_view key) const {
  const config::Node* value = lookup(key);
  if (value == nullptr) return std::nullopt;
  return config::as_positive(*value, std::string(key));
}

double HfConfig::number(std::string_view key) const {
  return config::as_number(require(key, "a number"), std::string(key));
}

std::optional<double> HfConfig::optional_number(std::string_view key) const {
  const config::Node* value = lookup(key);
  if (value == nullptr) return std::nullopt;
  return config::as_number(*value, std::string(key));
}

namespace {
bool to_bool(const config::Node& node, std::string_view key) {
  if (node.is_scalar() && (node.scalar == "true" || node.scalar == "false"))
    return node.scalar == "true";
  throw UserError(node.where, std::string(key), "true or false", node.describe());
}
}  // namespace

bool HfConfig::boolean(std::string_view key) const {
  return to_bool(require(key, "true or false"), key);
}

std::optional<bool> HfConfig::optional_boolean(std::string_view key) const {
  const config::Node* value = lookup(key);
  if (value == nullptr) return std::nullopt;
  return to_bool(*value, key);
}

std::string HfConfig::text(std::string_view key) const {
  return config::as_string(require(key, "a text value"), std::string(key));
}

std::optional<std::string> HfConfig::optional_text(std::string_view key) const {
  const config::Node* value = lookup(key);
  if (value == nullptr) return std::nullopt;
  return config::as_string(*value, std::string(key));
}

std::vector<std::uint64_t> HfConfig::counts(std::string_view key) const {
  const config::Node& node = require(key, "a list of whole numbers");
  if (!node.is_sequence())
    throw UserError(node.where, std::string(key), "a list of whole numbers", node.describe());
  std::vector<std::uint64_t> values;
  for (std::size_t i = 0; i < node.items.size(); ++i)
    values.push_back(config::as_count(node.items[i], fmt::format("{}[{}]", key, i)));
  return values;
}

std::vector<std::string> HfConfig::texts(std::string_view key) const {
  const config::Node& node = require(key, "a list of texts");
  if (!node.is_sequence())
    throw UserError(node.where, std::string(key), "a list of texts", node.describe());
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.items.size(); ++i)
    values.push_back(config::as_string(node.items[i], fmt::format("{}[{}]", key, i)));
  return values;
}

HfConfig load_hf_config(const std::string& path) {
  return HfConfig(config::load_document(path, path), path);
}

}  // namespace attnsim::import
