// Implementation of the layer-graph views.
#include "report/layers_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "report/format.h"
#include "report/json_document.h"

namespace attnsim::report {

namespace {
// The longest stretch starting at `start` made of ≥ 2 copies of one cycle: {period, copies}.
std::pair<std::size_t, std::size_t> best_cycle(const std::vector<std::string>& names,
                                               std::size_t start) {
  std::pair<std::size_t, std::size_t> best{1, 1};
  const std::size_t left = names.size() - start;
  for (std::size_t period = 1; period <= left / 2; ++period) {
    std::size_t copies = 1;
    while (start + (copies + 1) * period <= names.size() &&
           std::equal(names.begin() + static_cast<std::ptrdiff_t>(start),
                      names.begin() + static_cast<std::ptrdiff_t>(start + period),
                      names.begin() + static_cast<std::ptrdiff_t>(start + copies * period)))
      ++copies;
    if (copies >= 2 && copies * period > best.first * best.second) best = {period, copies};
  }
  return best;
}

std::string bracket(const std::vector<std::string>& names, std::size_t from, std::size_t to) {
  return fmt::format("[{}]", fmt::join(names.begin() + static_cast<std::ptrdiff_t>(from),
                                       names.begin() + static_cast<std::ptrdiff_t>(to), ", "));
}
}  // namespace

std::string compact_sequence(const std::vector<std::string>& names) {
  std::vector<std::string> parts;
  std::size_t singles_from = 0;
  std::size_t i = 0;
  auto flush_singles = [&](std::size_t to) {
    if (to > singles_from) parts.push_back(bracket(names, singles_from, to));
  };
  while (i < names.size()) {
    const auto [period, copies] = best_cycle(names, i);
    if (copies < 2) {
      ++i;
      continue;
    }
    flush_singles(i);
    parts.push_back(fmt::format("{} × {}", copies, bracket(names, i, i + period)));
    i += period * copies;
    singles_from = i;
  }
  flush_singles(names.size());
  return fmt::format("{}", fmt::join(parts, " + "));
}

std::string compact_layer_pattern(const Architecture& architecture) {
  std::set<std::string> ffns;
  for (const auto& layer : architecture.layers) ffns.insert(layer.ffn_name);
  const bool name_ffn = ffns.size() > 1;
  std::vector<std::string> names;
  for (const auto& layer : architecture.layers) {
    std::string name = layer.mixer_name;
    if (name_ffn && !layer.ffn_name.empty())
      name = name.empty() ? layer.ffn_name : name + "+" + layer.ffn_name;
    names.push_back(name);
  }
  std::string text = compact_sequence(names);
  if (!name_ffn && !architecture.layers.front().ffn_name.empty())
    text += fmt::format("  (every layer's FFN: {})", architecture.layers.front().ffn_name);
  return text;
}

std::vector<std::string> kv_reuse_lines(const Architecture& architecture) {
  std::map<std::size_t, std::vector<std::size_t>> readers;  // by the owning layer
  for (const auto& layer : architecture.layers)
    if (layer.kv_shared_from) readers[*layer.kv_shared_from].push_back(layer.index);
  std::vector<std::string> lines;
  for (const auto& [owner, layers] : readers)
    lines.push_back(fmt::format("{} {} read layer {}'s KV cache (and keep none)",
                                layers.size() == 1 ? "layer" : "layers", fmt::join(layers, ", "),
                                owner));
  return lines;
}

std::string format_layer_mix(const std::map<std::string, std::uint64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [kind, count] : counts) parts.push_back(fmt::format("{} {}", count, kind));
  return fmt::format("{}", fmt::join(parts, ", "));
}

Table instances_table(const Architecture& architecture) {
  Table table{
      {{"instance", Align::left}, {"kind", Align::left}, {"layers"}, {"shape", Align::left}}, {}};
  for (const auto& [name, mixer] : architecture.mixers) {
    std::size_t used = 0;
    for (const auto& layer : architecture.layers) used += layer.mixer_name == name ? 1 : 0;
    table.add_row({name, std::string(mixer->kind()), std::to_string(used), mixer->describe()});
  }
  for (const auto& [name, ffn] : architecture.ffns) {
    std::size_t used = 0;
    for (const auto& layer : architecture.layers) used += layer.ffn_name == name ? 1 : 0;
    table.add_row(
        {name, std::string(ffn_kind_name(ffn->kind)), std::to_string(used), describe(*ffn)});
  }
  return table;
}

namespace {
// What a layer borrows from an earlier one: its KV cache, its weights.
std::string layer_note(const Layer& layer) {
  std::vector<std::string> notes;
  if (layer.weights_shared_from)
    notes.push_back(fmt::format("weights of layer {}", *layer.weights_shared_from));
  if (layer.kv_shared_from)
    notes.push_back(fmt::format("KV shared from layer {}", *layer.kv_shared_from));
  return fmt::format("{}", fmt::join(notes, "; "));
}
}  // namespace

Table per_layer_table(const Architecture& architecture, const std::vector<LayerMemory>& memory) {
  ATTNSIM_ASSERT(memory.size() == architecture.layers.size(), "one LayerMemory per layer");
  Table table{{{"layer"},
               {"mixer", Align::left},
               {"kind", Align::left},
               {"ffn", Align::left},
               {"KV bytes/token"},
               {"KV tokens kept"},
               {"state bytes/seq"},
               {"note", Align::left}},
              {}};
  for (const auto& layer : architecture.layers) {
    const LayerMemory& bytes = memory[layer.index];
    const bool keeps_kv = bytes.kv_bytes_per_token > 0;
    table.add_row(
        {std::to_string(layer.index), layer.mixer_name.empty() ? "-" : layer.mixer_name,
         layer.mixer ? layer.mixer->layer_kind() : "-",
         layer.ffn_name.empty() ? "-" : layer.ffn_name,
         keeps_kv ? with_thousands(bytes.kv_bytes_per_token) : "-",
         !keeps_kv             ? "-"
         : bytes.kv_max_tokens ? with_thousands(*bytes.kv_max_tokens)
                               : "context",
         bytes.state_bytes_per_sequence > 0 ? with_thousands(bytes.state_bytes_per_sequence) : "-",
         layer_note(layer)});
  }
  return table;
}

namespace {
nlohmann::ordered_json layers_json(const Architecture& architecture,
                                   const std::vector<LayerMemory>& memory,
                                   const CacheDTypes& dtypes) {
  ATTNSIM_ASSERT(memory.size() == architecture.layers.size(), "one LayerMemory per layer");
  nlohmann::ordered_json instances = nlohmann::ordered_json::array();
  auto used = [&architecture](const std::string& name, bool mixer) {
    std::uint64_t count = 0;
    for (const auto& layer : architecture.layers)
      count += (mixer ? layer.mixer_name : layer.ffn_name) == name ? 1 : 0;
    return count;
  };
  for (const auto& [name, mixer] : architecture.mixers)
    instances.push_back({{"name", name},
                         {"role", "mixer"},
                         {"kind", std::string(mixer->kind())},
                         {"layers", used(name, true)},
                         {"shape", mixer->describe()}});
  for (const auto& [name, ffn] : architecture.ffns)
    instances.push_back({{"name", name},
                         {"role", "ffn"},
                         {"kind", std::string(ffn_kind_name(ffn->kind))},
                         {"layers", used(name, false)},
                         {"shape", describe(*ffn)}});
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& layer : architecture.layers) {
    nlohmann::ordered_json entry = {
        {"index", layer.index},
        {"mixer", layer.mixer_name.empty() ? nlohmann::ordered_json()
                                           : nlohmann::ordered_json(layer.mixer_name)},
        {"layer_kind", layer.mixer ? nlohmann::ordered_json(layer.mixer->layer_kind())
                                   : nlohmann::ordered_json()},
        {"ffn", layer.ffn_name.empty() ? nlohmann::ordered_json()
                                       : nlohmann::ordered_json(layer.ffn_name)}};
    const LayerMemory& bytes = memory[layer.index];
    entry["kv_bytes_per_token"] = bytes.kv_bytes_per_token;
    entry["kv_max_tokens"] = bytes.kv_max_tokens ? nlohmann::ordered_json(*bytes.kv_max_tokens)
                                                 : nlohmann::ordered_json();
    entry["state_bytes_per_sequence"] = bytes.state_bytes_per_sequence;
    if (layer.kv_shared_from) entry["kv_shared_from"] = *layer.kv_shared_from;
    if (layer.weights_shared_from) entry["weights_shared_from"] = *layer.weights_shared_from;
    if (layer.selection_from) entry["selection_from"] = *layer.selection_from;
    layers.push_back(std::move(entry));
  }
  nlohmann::ordered_json kinds = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : count_layer_kinds(architecture)) kinds[kind] = count;
  nlohmann::ordered_json cache_dtypes = nlohmann::ordered_json::object();
  for (const auto& [key, dtype] : {std::pair{"kv_cache", dtypes.kv_cache},
                                   {"recurrent_state", dtypes.recurrent_state},
                                   {"conv_state", dtypes.conv_state}})
    if (dtype) cache_dtypes[key] = std::string(dtype_name(*dtype));
  return {{"name", architecture.name},
          {"display_name", architecture.display_name},
          {"params_label", architecture.params_label},
          {"n_layers", architecture.layers.size()},
          {"pattern", compact_layer_pattern(architecture)},
          {"layer_kinds", kinds},
          {"instances", instances},
          {"cache_dtypes", cache_dtypes},
          {"layers", layers}};
}
}  // namespace

std::string render_layers_json(const Architecture& architecture,
                               const std::vector<LayerMemory>& memory, const CacheDTypes& dtypes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  out.push_back(layers_json(architecture, memory, dtypes));
  return dump_json(json_document("layers", std::move(out)));
}

}  // namespace attnsim::report
