// Scaling of mixer instance keys by key name (see scale.h for the rule).
#include "sim/scale.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "config/reader.h"
#include "graph/load.h"

namespace attnsim::sim {

namespace {

using config::Node;

Node* find_mutable(Node& map, std::string_view key) {
  for (auto& entry : map.entries)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

std::uint64_t read_count(const Node& node, std::string_view key) {
  return config::as_count(node, std::string(key));
}

void write_count(Node& node, std::uint64_t value) { node.scalar = std::to_string(value); }

std::uint64_t scaled_width(std::uint64_t width, std::uint64_t n) {
  if (width == 0) return 0;  // q_lora_rank 0: no q latent
  return std::max<std::uint64_t>(2, width / n / 2 * 2);
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kHeadGroups = {{
    {"n_kv_heads", "n_heads"},
    {"n_qk_heads", "n_v_heads"},
    {"n_groups", "n_heads"},
}};
constexpr std::array<std::string_view, 3> kHeadCounts = {"n_heads", "n_v_heads", "n_qk_heads"};
constexpr std::array<std::string_view, 12> kWidths = {
    "head_dim",    "head_dim_k",       "head_dim_v",       "kv_lora_rank",
    "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
    "state_size",  "d_inner",          "dt_rank",          "q_input_dim"};
constexpr std::array<std::string_view, 3> kSpans = {"window", "chunk", "topk"};

void scale_map(Node& map, const ScaleDown& scale) {
  std::vector<std::string_view> done;
  for (const auto& [group_key, heads_key] : kHeadGroups) {
    Node* group = find_mutable(map, group_key);
    Node* heads = find_mutable(map, heads_key);
    if (group == nullptr || heads == nullptr || !group->is_scalar() || !heads->is_scalar())
      continue;
    const std::uint64_t g = read_count(*group, group_key);
    const std::uint64_t h = read_count(*heads, heads_key);
    if (g == 0 || h % g != 0) continue;  // left for the loader to reject with its own message
    const std::uint64_t g_scaled = std::max<std::uint64_t>(1, g / scale.dims);
    write_count(*group, g_scaled);
    write_count(*heads, g_scaled * (h / g));
    done.push_back(group_key);
    done.push_back(heads_key);
  }
  for (auto& entry : map.entries) {
    Node& value = entry.value;
    if (value.is_map()) {
      scale_map(value, scale);
      continue;
    }
    if (!value.is_scalar() || value.quoted) continue;
    if (std::find(done.begin(), done.end(), entry.key) != done.end()) continue;
    const auto is = [&](const auto& keys) {
      return std::find(keys.begin(), keys.end(), entry.key) != keys.end();
    };
    if (is(kHeadCounts))
      write_count(value, std::max<std::uint64_t>(1, read_count(value, entry.key) / scale.dims));
    else if (is(kWidths))
      write_count(value, scaled_width(read_count(value, entry.key), scale.dims));
    else if (is(kSpans))
      write_count(value, std::max<std::uint64_t>(1, read_count(value, entry.key) / scale.spans));
  }
}

}  // namespace

config::Node scale_document(const config::Node& resolved, const ScaleDown& scale) {
  ATTNSIM_ASSERT(scale.dims >= 1 && scale.spans >= 1, "scale factors are validated by the CLI");
  Node document = resolved;
  std::erase_if(document.entries, [](const config::Entry& entry) { return entry.key == "expect"; });
  if (Node* mixers = find_mutable(document, "mixers"); mixers != nullptr && mixers->is_map())
    for (auto& instance : mixers->entries)
      if (instance.value.is_map()) scale_map(instance.value, scale);
  if (Node* model = find_mutable(document, "model"); model != nullptr && model->is_map())
    if (Node* d_model = find_mutable(*model, "d_model"); d_model != nullptr && d_model->is_scalar())
      write_count(*d_model, scaled_width(read_count(*d_model, "model.d_model"), scale.dims));
  return document;
}

Architecture scaled_architecture(const std::string& name_or_path, const ScaleDown& scale) {
  const auto file = resolve_architecture(name_or_path);
  const config::Node scaled = scale_document(load_resolved_document(file), scale);
  return build_architecture(scaled, fmt::format("{}/{}", file.stem().string(), scale.dims),
                            file.string());
}

}  // namespace attnsim::sim
