// KV cache and recurrent state of a whole model: sums over the layer graph of what each layer's
// mixer keeps (Mixer::cache_terms), at given context lengths and batch. All byte counts are
// exact 64-bit integers; arithmetic that would overflow raises a UserError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// Command-line replacements for the file's cache dtypes. A cache term that names its own
// dtype (DSA's FP8 indexer keys) keeps it.
struct CacheDTypeOverrides {
  std::optional<DType> kv_cache;
  std::optional<DType> recurrent_state;
  std::optional<DType> conv_state;
};

// Per layer kind (Mixer::layer_kind), at one context and batch.
struct KindMemory {
  std::string layer_kind;
  std::uint64_t n_layers = 0;
  std::uint64_t kv_bytes_per_token = 0;        // growth per token before any window cap
  std::uint64_t state_bytes_per_sequence = 0;  // recurrent + conv state
  std::uint64_t kv_bytes = 0;                  // at this context, × batch
  std::uint64_t state_bytes = 0;               // × batch
};

struct MemoryRow {
  std::uint64_t context = 0;
  std::uint64_t batch = 0;
  std::uint64_t kv_bytes = 0;
  std::uint64_t state_bytes = 0;
  std::uint64_t total_bytes = 0;
  // KV bytes of the same model with every layer as its full-attention layer (no windows, no
  // recurrent layers); absent for a model without any attention layer.
  std::optional<std::uint64_t> full_attention_bytes;
  std::vector<KindMemory> by_kind;

  // 1 − total / full attention (0.75 = "75% less KV cache"); absent without a baseline.
  std::optional<double> saving_vs_full_attention() const;
};

struct MemoryReport {
  std::string name;
  CacheDTypes dtypes;                           // after overrides
  std::uint64_t kv_bytes_per_token = 0;         // summed over layers, before window caps
  std::uint64_t state_bytes_per_sequence = 0;   // summed over layers
  std::map<std::string, std::uint64_t> layers;  // count per layer kind
  std::vector<MemoryRow> rows;                  // one per context, in the order given
  std::optional<std::uint64_t> max_context;     // the model's (rows past it are extrapolations)
  // KV storage an engine profile applied beyond a plain dtype ("fp8 latent record", "expanded
  // MLA K/V"); empty for the paper minimum.
  std::string kv_storage;
};

// The file's dtypes with the command-line replacements applied.
CacheDTypes apply_overrides(CacheDTypes dtypes, const CacheDTypeOverrides& overrides);
// The dtype a cache term is stored in: its own, else the model's dtype for its role.
DType cache_term_dtype(const CacheTerm& term, const CacheDTypes& dtypes);

MemoryReport kv_memory(const Architecture& architecture, const std::vector<std::uint64_t>& contexts,
                       std::uint64_t batch, const CacheDTypeOverrides& overrides = {});

// What one layer of the graph keeps, in the file's dtypes with the overrides: KV bytes per token
// before window caps (0 for a layer that reads another layer's KV, or keeps none), the cap in
// tokens of its capped terms (a window or local chunk; absent when any term grows with the
// context), and recurrent + conv state bytes per sequence. Mixer-less layers keep nothing.
struct LayerMemory {
  std::size_t index = 0;
  std::uint64_t kv_bytes_per_token = 0;
  std::optional<std::uint64_t> kv_max_tokens;
  std::uint64_t state_bytes_per_sequence = 0;
};
std::vector<LayerMemory> layer_memory(const Architecture& architecture,
                                      const CacheDTypeOverrides& overrides = {});

}  // namespace attnsim
