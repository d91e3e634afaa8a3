// Rendering of an ArchitectureDraft as YAML.
#include "import/draft.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "core/error.h"

namespace attnsim::import {

namespace {
// The shortest cycle that reproduces `names` when repeated (the last copy may be cut), if it
// repeats at least twice; 0 otherwise.
std::size_t repeat_period(const std::vector<std::string>& names) {
  for (std::size_t period = 1; period * 2 <= names.size(); ++period) {
    bool repeats = true;
    for (std::size_t i = period; i < names.size() && repeats; ++i)
      repeats = names[i] == names[i % period];
    if (repeats) return period;
  }
  return 0;
}

std::string flow_list(const std::vector<std::string>& items) {
  return fmt::format("[{}]", fmt::join(items, ", "));
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

void write_instances(std::string& out, const char* section,
                     const std::vector<Instance>& instances) {
  if (instances.empty()) return;
  out += fmt::format("{}:\n", section);
  for (const auto& instance : instances) {
    out += fmt::format("  {}:\n", instance.name);
    for (const auto& field : instance.fields) {
      std::string line = fmt::format("    {}: {}", field.key, field.value);
      if (!field.comment.empty()) line = fmt::format("{:<32} # {}", line, field.comment);
      out += line;
      out += '\n';
    }
  }
}
}  // namespace

std::string compact_sequence_yaml(const std::vector<std::string>& names) {
  ATTNSIM_ASSERT(!names.empty(), "a model has layers");
  const std::size_t period = repeat_period(names);
  if (period == 1) return names.front();
  if (period > 0 && period <= 8)
    return fmt::format(
        "{{repeat: {}}}",
        flow_list({names.begin(), names.begin() + static_cast<std::ptrdiff_t>(period)}));
  // A default with index lists when the exceptions are few.
  std::map<std::string, std::vector<std::string>> positions;
  for (std::size_t i = 0; i < names.size(); ++i) positions[names[i]].push_back(std::to_string(i));
  std::string most_common;
  for (const auto& [name, at] : positions)
    if (most_common.empty() || at.size() > positions[most_common].size()) most_common = name;
  if (names.size() - positions[most_common].size() <= names.size() / 2) {
    std::vector<std::string> lists;
    for (const auto& [name, at] : positions)
      if (name != most_common) lists.push_back(fmt::format("{}: {}", name, flow_list(at)));
    return fmt::format("{{default: {}, at: {{{}}}}}", most_common, fmt::join(lists, ", "));
  }
  return fmt::format("{{list: {}}}", flow_list(names));
}

std::string to_yaml(const ArchitectureDraft& draft) {
  std::string out = fmt::format("# {} — imported from {} by `attnsim import-hf`.\n",
                                draft.display_name, draft.config);
  out += fmt::format("display_name: {}\nfamily: {}\nparams_label: {}\n", quote(draft.display_name),
                     quote(draft.family), quote(draft.params_label));
  out += fmt::format("source:\n  config: {}\n", quote(draft.config));
  if (!draft.model_type.empty()) out += fmt::format("  model_type: {}\n", quote(draft.model_type));
  if (!draft.notes.empty()) {
    out += "  notes:\n";
    for (const auto& note : draft.notes) out += fmt::format("    - {}\n", quote(note));
  }
  if (!draft.unverified.empty())
    out += fmt::format("  unverified: {}\n", flow_list(draft.unverified));
  out += fmt::format(
      "model:\n  d_model: {}\n  vocab_size: {}\n  n_layers: {}\n  tied_embeddings: {}\n",
      draft.d_model, draft.vocab_size, draft.n_layers, draft.tied_embeddings ? "true" : "false");
  if (draft.max_context) out += fmt::format("  max_context: {}\n", *draft.max_context);
  if (draft.learned_positions)
    out += fmt::format("  learned_positions: {}\n", *draft.learned_positions);
  if (draft.hyper_connections)
    out += fmt::format("  hyper_connections: {}\n", *draft.hyper_connections);
  if (!draft.norm.empty()) out += fmt::format("  norm: {}\n", draft.norm);
  out += fmt::format("dtypes:\n  weights: {}\n", draft.weights_dtype);
  if (draft.kv_cache_dtype) out += fmt::format("  kv_cache: {}\n", *draft.kv_cache_dtype);
  if (draft.recurrent_state_dtype)
    out += fmt::format("  recurrent_state: {}\n", *draft.recurrent_state_dtype);
  if (draft.conv_state_dtype) out += fmt::format("  conv_state: {}\n", *draft.conv_state_dtype);
  write_instances(out, "mixers", draft.mixers);
  write_instances(out, "ffns", draft.ffns);
  if (!draft.baseline_attention.empty())
    out += fmt::format("baseline_attention: {}\n", draft.baseline_attention);
  out += "layers:\n";
  if (!draft.pattern.empty()) {
    out += fmt::format("  pattern: {}\n  letters:\n", quote(draft.pattern));
    for (const auto& [letter, meaning] : draft.letters)
      out += fmt::format("    {}: {{{}: {}}}\n", quote(std::string(1, letter)), meaning.first,
                         meaning.second);
  } else {
    out += fmt::format("  mixer: {}\n", compact_sequence_yaml(draft.layer_mixers));
    if (!draft.layer_ffns.empty())
      out += fmt::format("  ffn: {}\n", compact_sequence_yaml(draft.layer_ffns));
  }
  if (!draft.kv_shared.empty()) {
    out += "  overrides:\n";
    for (const auto& [readers, owner] : draft.kv_shared)
      out += fmt::format("    - {{layers: [{}], kv_shared_from: {}}}\n", fmt::join(readers, ", "),
                         owner);
  }
  if (draft.mtp)
    out += fmt::format("mtp:\n  modules: {}  # {}\n  mixer: {}\n  ffn: {}\n", draft.mtp->modules,
                       draft.mtp->key, draft.mtp->mixer, draft.mtp->ffn);
  return out;
}

}  // namespace attnsim::import
