// Knob overrides for design sweeps (see sweep.h for the knobs and the keys they set).
#include "graph/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/reader.h"
#include "core/error.h"
#include "graph/load.h"
#include "graph/ratio.h"
#include "mixers/mixer.h"

namespace attnsim {

namespace {
// A knob sets the field of one role (mixers/fields.h); the knob is named after the role.
constexpr FieldRole kKnobRoles[] = {FieldRole::window, FieldRole::kv_heads, FieldRole::latent_rank,
                                    FieldRole::state_size};

config::Node scalar(const std::string& text) {
  config::Node node;
  node.kind = config::Node::Kind::scalar;
  node.scalar = text;
  return node;
}
config::Node map_node() {
  config::Node node;
  node.kind = config::Node::Kind::map;
  return node;
}
config::Node sequence_node() {
  config::Node node;
  node.kind = config::Node::Kind::sequence;
  return node;
}
config::Node& set_key(config::Node& map, const std::string& key, config::Node value) {
  for (auto& entry : map.entries)
    if (entry.key == key) return entry.value = std::move(value);
  map.entries.push_back({key, {}, std::move(value)});
  return map.entries.back().value;
}
config::Node& child_map(config::Node& map, const std::string& key) {
  for (auto& entry : map.entries)
    if (entry.key == key) return entry.value;
  return set_key(map, key, map_node());
}

// Patch for one mixer map read by `table`: sets the field of `role` where the map gives it,
// here and in the nested mixers and maps the table declares.
bool patch_instance(const config::Node& instance, const FieldTable& table, FieldRole role,
                    const std::string& value, config::Node& patch) {
  bool changed = false;
  for (const Field& field : table)
    if (field.role == role && instance.find(field.key)) {
      set_key(patch, std::string(field.key), scalar(value));
      changed = true;
    }
  for (const auto& entry : instance.entries) {
    const FieldTable* nested_table = nested_fields(table, entry.key, entry.value);
    config::Node nested = map_node();
    if (nested_table && patch_instance(entry.value, *nested_table, role, value, nested)) {
      set_key(patch, entry.key, std::move(nested));
      changed = true;
    }
  }
  return changed;
}

// The model's single linear/SSM instance and single global-attention instance, by how their
// caches grow (ratio.h), among the instances its layers use.
std::pair<std::string, std::string> linear_and_attention(const Architecture& architecture) {
  std::set<std::string> linear, local, attention;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer || layer.kv_shared_from) continue;  // a reader is its owner's instance
    const auto growth = cache_growth(*layer.mixer);
    if (growth == CacheGrowth::recurrent) linear.insert(layer.mixer_name);
    if (growth == CacheGrowth::local) local.insert(layer.mixer_name);
    if (growth == CacheGrowth::global) attention.insert(layer.mixer_name);
  }
  if (linear.empty()) linear = local;  // Gemma-style: the ratio of local to global layers
  if (linear.size() != 1 || attention.size() != 1)
    throw UserError({}, "--vary linear_ratio",
                    "a model with one linear/SSM (or sliding-window) mixer instance and one "
                    "global-attention instance",
                    fmt::format("{} linear and {} attention instances in {}", linear.size(),
                                attention.size(), architecture.name),
                    "linear_ratio rewrites a two-instance hybrid such as qwen3-next-80b-a3b");
  return {*linear.begin(), *attention.begin()};
}

void patch_linear_ratio(const config::Node& base, const Architecture& architecture,
                        const std::string& value, config::Node& patch) {
  const auto [linear, attention] = linear_and_attention(architecture);
  const config::Node* layers = base.find("layers");
  ATTNSIM_ASSERT(layers && layers->is_map(), "a built architecture has a layers map");
  if (!layers->find("mixer"))
    throw UserError(layers->where, "layers.mixer", "a `mixer:` pattern to rewrite",
                    "a pattern string", "linear_ratio works on files that assign `mixer:`");
  config::Node pattern;
  if (value == "all") {
    pattern = scalar(linear);
  } else if (value == "none" || value == "0:1") {
    pattern = scalar(attention);
  } else {
    const auto colon = value.find(':');
    const std::string tail = colon == std::string::npos ? "" : value.substr(colon + 1);
    if (colon == std::string::npos || tail != "1")
      throw UserError({}, "--vary linear_ratio", "N:1, all or none", fmt::format("'{}'", value));
    const std::uint64_t n = parse_token_count(value.substr(0, colon), "--vary linear_ratio");
    pattern = map_node();
    config::Node& cycle = set_key(pattern, "repeat", sequence_node());
    for (std::uint64_t i = 0; i < n; ++i) cycle.items.push_back(scalar(linear));
    cycle.items.push_back(scalar(attention));
  }
  set_key(child_map(patch, "layers"), "mixer", pattern);
  set_key(patch, "baseline_attention", scalar(attention));
}
}  // namespace

std::vector<std::string> knob_names() {
  std::vector<std::string> names{"linear_ratio"};
  for (const FieldRole role : kKnobRoles) names.emplace_back(field_role_name(role));
  return names;
}

std::pair<std::string, std::vector<std::string>> parse_vary(const std::string& text) {
  const auto equals = text.find('=');
  const std::string knob = text.substr(0, equals);
  const auto names = knob_names();
  if (std::find(names.begin(), names.end(), knob) == names.end())
    throw UserError({}, "--vary", fmt::format("one of {}", fmt::join(names, ", ")),
                    fmt::format("'{}'", knob), config::did_you_mean(knob, names));
  if (equals == std::string::npos || equals + 1 == text.size())
    throw UserError({}, "--vary", "KNOB=v1,v2,...", fmt::format("'{}'", text));
  std::vector<std::string> values;
  std::size_t start = equals + 1;
  while (true) {
    const auto comma = text.find(',', start);
    values.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {knob, values};
}

config::Node knob_override(const config::Node& base, const Architecture& base_architecture,
                           const std::vector<KnobSetting>& settings) {
  config::Node patch = map_node();
  std::vector<std::string> labels;
  for (const auto& setting : settings) {
    labels.push_back(fmt::format("{}={}", setting.knob, setting.value));
    if (setting.knob == "linear_ratio") {
      patch_linear_ratio(base, base_architecture, setting.value, patch);
      continue;
    }
    const auto* role = std::find_if(std::begin(kKnobRoles), std::end(kKnobRoles), [&](FieldRole r) {
      return field_role_name(r) == setting.knob;
    });
    ATTNSIM_ASSERT(role != std::end(kKnobRoles), "parse_vary accepts only known knobs");
    parse_token_count(setting.value, "--vary " + setting.knob);  // a positive count
    const config::Node* mixers = base.find("mixers");
    config::Node knob_patch = map_node();
    bool changed = false;
    for (const auto& entry : mixers->entries) {
      config::Node instance_patch = map_node();
      const config::Node* kind = entry.value.find("kind");
      const MixerKind* mixer_kind = kind ? find_mixer_kind(kind->scalar) : nullptr;
      ATTNSIM_ASSERT(mixer_kind != nullptr, "the base document built, so its kinds are known");
      if (patch_instance(entry.value, *mixer_kind->fields, *role, setting.value, instance_patch)) {
        set_key(child_map(knob_patch, "mixers"), entry.key, std::move(instance_patch));
        changed = true;
      }
    }
    patch = config::merge_documents(patch, knob_patch);  // knobs on one instance accumulate
    if (!changed)
      throw UserError(
          {}, "--vary " + setting.knob,
          fmt::format("a mixer instance with `{}` (a field of that role)", setting.knob),
          fmt::format("none in {}", base_architecture.name));
  }
  const config::Node* display = base.find("display_name");
  set_key(patch, "display_name",
          scalar(fmt::format("{} ({})", display ? display->scalar : base_architecture.name,
                             fmt::join(labels, ", "))));
  return patch;
}

config::Node derived_document(const config::Node& base, const Architecture& base_architecture,
                              const std::vector<KnobSetting>& settings) {
  const config::Node patch = knob_override(base, base_architecture, settings);
  config::Node document = base;
  // A new mixer pattern replaces the old one whole (merging two pattern maps would keep
  // stale keys such as `at:`): first merge it in as a scalar, which replaces any map.
  if (const auto* layers = patch.find("layers"))
    if (const auto* mixer = layers->find("mixer"); mixer && mixer->is_map()) {
      config::Node reset = map_node();
      set_key(child_map(reset, "layers"), "mixer", scalar("-"));
      document = config::merge_documents(document, reset);
    }
  document = config::merge_documents(document, patch);
  // An ablation changes the published facts: like `extends:`, the base's expect: and the
  // claims about it are dropped.
  std::erase_if(document.entries, [](const config::Entry& entry) {
    return entry.key == "expect" || entry.key == "claims";
  });
  return document;
}

std::string variant_name(const std::string& base_name, const std::vector<KnobSetting>& settings) {
  std::vector<std::string> labels;
  for (const auto& setting : settings)
    labels.push_back(fmt::format("{}={}", setting.knob, setting.value));
  return fmt::format("{}[{}]", base_name, fmt::join(labels, ","));
}

Architecture derive_architecture(const config::Node& base, const Architecture& base_architecture,
                                 const std::vector<KnobSetting>& settings) {
  return build_architecture(derived_document(base, base_architecture, settings),
                            variant_name(base_architecture.name, settings), base_architecture.file);
}

std::vector<std::vector<KnobSetting>> knob_grid(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& knobs) {
  std::vector<std::vector<KnobSetting>> grid{{}};
  for (const auto& [knob, values] : knobs) {
    std::vector<std::vector<KnobSetting>> next;
    for (const auto& prefix : grid)
      for (const auto& value : values) {
        auto settings = prefix;
        settings.push_back({knob, value});
        next.push_back(std::move(settings));
      }
    grid = std::move(next);
  }
  return grid;
}

}  // namespace attnsim
