// Implementation of the layer-pattern forms.
#include "graph/pattern.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim {

namespace {
std::vector<std::string> read_names(const config::Node& node, const std::string& path) {
  if (!node.is_sequence() || node.items.empty())
    throw UserError(node.where, path, "a non-empty list of instance names", node.describe());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < node.items.size(); ++i)
    names.push_back(config::as_string(node.items[i], fmt::format("{}[{}]", path, i)));
  return names;
}

std::vector<std::string> expand_repeat(config::MapReader& reader, std::uint64_t n_layers) {
  const std::vector<std::string> cycle =
      read_names(reader.require("repeat", "a list"), reader.child_path("repeat"));
  std::vector<std::string> names;
  for (std::uint64_t i = 0; i < n_layers; ++i) names.push_back(cycle[i % cycle.size()]);
  return names;
}

std::vector<std::string> expand_list(config::MapReader& reader, std::uint64_t n_layers) {
  const config::Node& node = reader.require("list", "a list");
  std::vector<std::string> names = read_names(node, reader.child_path("list"));
  if (names.size() != n_layers)
    throw UserError(node.where, reader.child_path("list"),
                    fmt::format("one name per layer ({} names, model.n_layers)", n_layers),
                    fmt::format("{} names", names.size()),
                    "use repeat: for a cycle, or fix model.n_layers");
  return names;
}

std::vector<std::string> expand_default_at(config::MapReader& reader, std::uint64_t n_layers) {
  const std::string fallback = reader.required_string("default");
  const std::uint64_t base = reader.optional_count("index_base").value_or(0);
  if (base > 1)
    throw UserError(reader.require("index_base", "").where, reader.child_path("index_base"),
                    "0 or 1", std::to_string(base));
  std::vector<std::string> names(n_layers, fallback);
  std::vector<std::string> assigned_by(n_layers);
  const config::Node& at = reader.require("at", "a map from instance name to layer indices");
  config::MapReader at_reader(at, reader.child_path("at"));
  for (const auto& entry : at.entries) {
    at_reader.declare(entry.key);
    const std::string path = at_reader.child_path(entry.key);
    for (std::size_t index : read_layer_indices(entry.value, path, n_layers, base)) {
      if (!assigned_by[index].empty())
        throw UserError(
            entry.value.where, path, "each layer in one list only",
            fmt::format("layer {} also listed under '{}'", index + base, assigned_by[index]));
      assigned_by[index] = entry.key;
      names[index] = entry.key;
    }
  }
  return names;
}
}  // namespace

std::vector<std::size_t> read_layer_indices(const config::Node& node, const std::string& path,
                                            std::uint64_t n_layers, std::uint64_t index_base) {
  if (!node.is_sequence())
    throw UserError(node.where, path, "a list of layer indices", node.describe());
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const std::string item_path = fmt::format("{}[{}]", path, i);
    const std::uint64_t index = config::as_count(node.items[i], item_path);
    if (index < index_base || index - index_base >= n_layers)
      throw UserError(node.items[i].where, item_path,
                      fmt::format("a layer index from {} to {} ({}-based)", index_base,
                                  n_layers - 1 + index_base, index_base),
                      std::to_string(index),
                      index_base == 0 ? "indices are 0-based unless index_base: 1"
                                      : "the model has model.n_layers layers");
    indices.push_back(static_cast<std::size_t>(index - index_base));
  }
  return indices;
}

std::vector<std::string> expand_sequence(const config::Node& node, const std::string& path,
                                         std::uint64_t n_layers) {
  if (node.is_scalar()) return std::vector<std::string>(n_layers, node.scalar);
  config::MapReader reader(node, path);
  std::vector<std::string> names;
  if (reader.has("repeat"))
    names = expand_repeat(reader, n_layers);
  else if (reader.has("list"))
    names = expand_list(reader, n_layers);
  else if (reader.has("default"))
    names = expand_default_at(reader, n_layers);
  else
    throw UserError(node.where, path,
                    "a name, or a map with repeat:, list: or default: + at:", node.describe(),
                    "see architectures/README.md, 'Layer patterns'");
  reader.finish();
  return names;
}

LayerSlots expand_letter_pattern(const config::Node& pattern, const config::Node& letters,
                                 const std::string& path, std::uint64_t n_layers) {
  const std::string text = config::as_string(pattern, path + ".pattern");
  if (text.size() != n_layers)
    throw UserError(pattern.where, path + ".pattern",
                    fmt::format("one letter per layer ({}, model.n_layers)", n_layers),
                    fmt::format("{} letters", text.size()));
  config::MapReader table(letters, path + ".letters");
  LayerSlots slots;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string letter(1, text[i]);
    const config::Node* meaning = table.get(letter);
    if (meaning == nullptr)
      throw UserError(pattern.where, path + ".pattern", "only letters defined under letters:",
                      fmt::format("'{}' at position {} (layer {})", letter, i + 1, i),
                      fmt::format("add \"{}\": {{mixer: ...}} or {{ffn: ...}} to letters", letter));
    config::MapReader layer(*meaning, table.child_path(letter));
    const auto mixer = layer.optional_string("mixer");
    const auto ffn = layer.optional_string("ffn");
    layer.finish();
    if (!mixer && !ffn)
      throw UserError(meaning->where, table.child_path(letter), "mixer:, ffn: or both", "neither");
    slots.mixers.push_back(mixer.value_or(std::string(kNoneName)));
    slots.ffns.push_back(ffn.value_or(std::string(kNoneName)));
  }
  return slots;
}

}  // namespace attnsim
