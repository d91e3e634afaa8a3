// Implementation of the KV-cache and state model.
#include "cost/memory.h"

#include <algorithm>

#include "core/error.h"

namespace attnsim {

namespace {
// One layer's caches reduced to bytes.
struct LayerBytes {
  struct Growing {
    std::uint64_t bytes_per_token;
    std::optional<std::uint64_t> max_tokens;
  };
  std::vector<Growing> growing;
  std::uint64_t state_bytes_per_sequence = 0;

  std::uint64_t kv_bytes_per_token() const {
    std::uint64_t total = 0;
    for (const auto& term : growing) total = checked_add(total, term.bytes_per_token, "KV bytes");
    return total;
  }
  // Bytes held after `context` tokens: a windowed term keeps at most max_tokens of them.
  std::uint64_t kv_bytes(std::uint64_t context) const {
    std::uint64_t total = 0;
    for (const auto& term : growing) {
      const std::uint64_t kept = term.max_tokens ? std::min(context, *term.max_tokens) : context;
      total = checked_add(total, checked_mul(term.bytes_per_token, kept, "KV bytes"), "KV bytes");
    }
    return total;
  }
};

LayerBytes layer_bytes(const Mixer& mixer, const CacheDTypes& dtypes, bool kv_shared) {
  LayerBytes bytes;
  for (const auto& term : mixer.cache_terms()) {
    const DType dtype = cache_term_dtype(term, dtypes);
    if (term.elements_per_token > 0 && !kv_shared) {
      const std::uint64_t per_token =
          checked_add(bytes_for_elements(term.elements_per_token, dtype, "KV bytes per token"),
                      term.extra_bytes_per_token, "KV bytes per token");
      bytes.growing.push_back({per_token, term.max_tokens});
    }
    bytes.state_bytes_per_sequence = checked_add(
        bytes.state_bytes_per_sequence,
        bytes_for_elements(term.elements_per_sequence, dtype, "state bytes"), "state bytes");
  }
  return bytes;
}

// The full-attention layer standing in for `layer` in the baseline (nullptr: no baseline).
std::unique_ptr<Mixer> baseline_mixer(const Architecture& architecture, const Layer& layer) {
  if (auto own = layer.mixer->full_attention_equivalent()) return own;
  if (architecture.baseline_attention.empty()) return nullptr;
  return architecture.mixers.at(architecture.baseline_attention)->full_attention_equivalent();
}
}  // namespace

CacheDTypes apply_overrides(CacheDTypes dtypes, const CacheDTypeOverrides& overrides) {
  if (overrides.kv_cache) dtypes.kv_cache = overrides.kv_cache;
  if (overrides.recurrent_state) dtypes.recurrent_state = overrides.recurrent_state;
  if (overrides.conv_state) dtypes.conv_state = overrides.conv_state;
  return dtypes;
}

DType cache_term_dtype(const CacheTerm& term, const CacheDTypes& dtypes) {
  if (term.dtype) return *term.dtype;
  const std::optional<DType>& role_dtype = term.role == CacheRole::kv ? dtypes.kv_cache
                                           : term.role == CacheRole::recurrent_state
                                               ? dtypes.recurrent_state
                                               : dtypes.conv_state;
  ATTNSIM_ASSERT(role_dtype.has_value(), "the loader checks that every cache role has a dtype");
  return *role_dtype;
}

std::optional<double> MemoryRow::saving_vs_full_attention() const {
  if (!full_attention_bytes || *full_attention_bytes == 0) return std::nullopt;
  return 1.0 - static_cast<double>(total_bytes) / static_cast<double>(*full_attention_bytes);
}

MemoryReport kv_memory(const Architecture& architecture, const std::vector<std::uint64_t>& contexts,
                       std::uint64_t batch, const CacheDTypeOverrides& overrides) {
  MemoryReport report;
  report.name = architecture.name;
  report.dtypes = apply_overrides(architecture.dtypes, overrides);
  report.layers = count_layer_kinds(architecture);

  struct Entry {
    std::string kind;
    LayerBytes bytes;
    std::optional<LayerBytes> baseline;
  };
  std::vector<Entry> entries;
  bool has_baseline = true;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    const bool shared = layer.kv_shared_from.has_value();
    Entry entry{layer.mixer->layer_kind(), layer_bytes(*layer.mixer, report.dtypes, shared), {}};
    if (auto full = baseline_mixer(architecture, layer))
      entry.baseline = layer_bytes(*full, report.dtypes, shared);
    else
      has_baseline = false;
    report.kv_bytes_per_token =
        checked_add(report.kv_bytes_per_token, entry.bytes.kv_bytes_per_token(), "KV bytes");
    report.state_bytes_per_sequence = checked_add(
        report.state_bytes_per_sequence, entry.bytes.state_bytes_per_sequence, "state bytes");
    entries.push_back(std::move(entry));
  }

  for (std::uint64_t context : contexts) {
    MemoryRow row;
    row.context = context;
    row.batch = batch;
    std::uint64_t baseline_bytes = 0;
    for (const auto& entry : entries) {
      auto kind = std::find_if(row.by_kind.begin(), row.by_kind.end(),
                               [&](const KindMemory& k) { return k.layer_kind == entry.kind; });
      if (kind == row.by_kind.end()) {
        row.by_kind.push_back({entry.kind, 0, 0, 0, 0, 0});
        kind = row.by_kind.end() - 1;
      }
      const std::uint64_t kv = checked_mul(entry.bytes.kv_bytes(context), batch, "KV bytes");
      const std::uint64_t state =
          checked_mul(entry.bytes.state_bytes_per_sequence, batch, "state bytes");
      kind->n_layers += 1;
      kind->kv_bytes_per_token += entry.bytes.kv_bytes_per_token();
      kind->state_bytes_per_sequence += entry.bytes.state_bytes_per_sequence;
      kind->kv_bytes = checked_add(kind->kv_bytes, kv, "KV bytes");
      kind->state_bytes = checked_add(kind->state_bytes, state, "state bytes");
      row.kv_bytes = checked_add(row.kv_bytes, kv, "KV bytes");
      row.state_bytes = checked_add(row.state_bytes, state, "state bytes");
      if (entry.baseline)
        baseline_bytes = checked_add(
            baseline_bytes, checked_mul(entry.baseline->kv_bytes(context), batch, "KV bytes"),
            "KV bytes");
    }
    row.total_bytes = checked_add(row.kv_bytes, row.state_bytes, "total bytes");
    if (has_baseline && !entries.empty()) row.full_attention_bytes = baseline_bytes;
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace attnsim
