// Scaling of mixer instance fields by their role (see scale.h for the rule).
#include "sim/scale.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "config/reader.h"
#include "graph/load.h"
#include "mixers/mixer.h"

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

void scale_map(Node& map, const FieldTable& table, const ScaleDown& scale) {
  std::vector<std::string_view> done;
  for (const Field& field : table) {
    if (field.role != FieldRole::kv_heads && field.role != FieldRole::head_groups) continue;
    Node* group = find_mutable(map, field.key);
    Node* heads = find_mutable(map, field.groups);
    if (group == nullptr || heads == nullptr || !group->is_scalar() || !heads->is_scalar())
      continue;
    const std::uint64_t g = read_count(*group, field.key);
    const std::uint64_t h = read_count(*heads, field.groups);
    if (g == 0 || h % g != 0) continue;  // left for the loader to reject with its own message
    const std::uint64_t g_scaled = std::max<std::uint64_t>(1, g / scale.dims);
    write_count(*group, g_scaled);
    write_count(*heads, g_scaled * (h / g));
    done.push_back(field.key);
    done.push_back(field.groups);
  }
  for (auto& entry : map.entries) {
    Node& value = entry.value;
    if (value.is_map()) {
      if (const FieldTable* nested = nested_fields(table, entry.key, value))
        scale_map(value, *nested, scale);
      continue;
    }
    const Field* field = find_field(table, entry.key);
    if (field == nullptr || !value.is_scalar() || value.quoted) continue;
    if (std::find(done.begin(), done.end(), entry.key) != done.end()) continue;
    switch (field->role) {
      case FieldRole::heads:
        write_count(value, std::max<std::uint64_t>(1, read_count(value, entry.key) / scale.dims));
        break;
      case FieldRole::width:
      case FieldRole::latent_rank:
      case FieldRole::state_size:
        write_count(value, scaled_width(read_count(value, entry.key), scale.dims));
        break;
      case FieldRole::window:
      case FieldRole::span:
        write_count(value, std::max<std::uint64_t>(1, read_count(value, entry.key) / scale.spans));
        break;
      default:
        break;
    }
  }
}

}  // namespace

config::Node scale_document(const config::Node& resolved, const ScaleDown& scale) {
  ATTNSIM_ASSERT(scale.dims >= 1 && scale.spans >= 1, "scale factors are validated by the CLI");
  Node document = resolved;
  std::erase_if(document.entries, [](const config::Entry& entry) { return entry.key == "expect"; });
  if (Node* mixers = find_mutable(document, "mixers"); mixers != nullptr && mixers->is_map())
    for (auto& instance : mixers->entries) {
      const Node* kind = instance.value.is_map() ? instance.value.find("kind") : nullptr;
      const MixerKind* entry = kind && kind->is_scalar() ? find_mixer_kind(kind->scalar) : nullptr;
      if (entry != nullptr)
        scale_map(instance.value, *entry->fields, scale);  // else the loader says
    }
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
