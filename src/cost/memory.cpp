// Implementation of the KV-cache and state model.
#include "cost/memory.h"

#include <algorithm>

#include "core/error.h"
#include "cost/layer_cache.h"

namespace attnsim {

namespace {
// One layer's caches reduced to bytes, with one-token pages (the architectural minimum). Every
// per-token term also keeps the model's meta tokens (`persistent` of them).
LayerCache layer_bytes(const Mixer& mixer, const CacheDTypes& dtypes, bool kv_shared,
                       std::uint64_t persistent) {
  LayerCache bytes;
  bytes.kind = mixer.layer_kind();
  for (const auto& term : mixer.cache_terms()) {
    const DType dtype = cache_term_dtype(term, dtypes);
    if (term.elements_per_token > 0 && !kv_shared)
      bytes.growing.push_back({term_bytes_per_token(term, dtype), term.max_tokens, !term.chunked,
                               persistent, term.tokens_per_entry});
    bytes.state_bytes_per_slot =
        checked_add(bytes.state_bytes_per_slot, term_state_bytes(term, dtype), "state bytes");
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
  const std::optional<DType>& role_dtype = dtypes.for_role(term.role);
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
  report.max_context = architecture.dims.max_context;
  report.dtypes = apply_overrides(architecture.dtypes, overrides);
  report.layers = count_layer_kinds(architecture);

  struct Entry {
    LayerCache bytes;
    std::optional<LayerCache> baseline;
  };
  std::vector<Entry> entries;
  bool has_baseline = true;
  // The full-attention baseline is the same model, meta tokens included.
  const std::uint64_t meta = architecture.dims.meta_tokens.value_or(0);
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    const bool shared = layer.kv_shared_from.has_value();
    Entry entry{layer_bytes(*layer.mixer, report.dtypes, shared, meta), {}};
    if (auto full = baseline_mixer(architecture, layer))
      entry.baseline = layer_bytes(*full, report.dtypes, shared, meta);
    else
      has_baseline = false;
    report.kv_bytes_per_token =
        checked_add(report.kv_bytes_per_token, entry.bytes.kv_bytes_per_token(), "KV bytes");
    report.state_bytes_per_sequence = checked_add(report.state_bytes_per_sequence,
                                                  entry.bytes.state_bytes_per_slot, "state bytes");
    entries.push_back(std::move(entry));
  }

  for (std::uint64_t context : contexts) {
    MemoryRow row;
    row.context = context;
    row.batch = batch;
    std::uint64_t baseline_bytes = 0;
    for (const auto& entry : entries) {
      charge_layer(row, entry.bytes, 1, batch);
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

std::vector<LayerMemory> layer_memory(const Architecture& architecture,
                                      const CacheDTypeOverrides& overrides) {
  const CacheDTypes dtypes = apply_overrides(architecture.dtypes, overrides);
  std::vector<LayerMemory> out;
  for (const auto& layer : architecture.layers) {
    LayerMemory entry;
    entry.index = layer.index;
    if (layer.mixer) {
      const LayerCache bytes = layer_bytes(*layer.mixer, dtypes, layer.kv_shared_from.has_value(),
                                           architecture.dims.meta_tokens.value_or(0));
      entry.kv_bytes_per_token = bytes.kv_bytes_per_token();
      entry.state_bytes_per_sequence = bytes.state_bytes_per_slot;
      bool capped = !bytes.growing.empty();
      std::uint64_t cap = 0;
      for (const auto& term : bytes.growing) {
        capped = capped && term.max_tokens.has_value();
        // A capped KV keeps its window (or chunk) and the model's meta tokens.
        if (term.max_tokens) cap = std::max(cap, *term.max_tokens + term.persistent_tokens);
      }
      if (capped) entry.kv_max_tokens = cap;
    }
    out.push_back(entry);
  }
  return out;
}

}  // namespace attnsim
