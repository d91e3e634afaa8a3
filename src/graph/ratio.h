// The layer ratio of a model as papers write it ("3:1 Gated DeltaNet : gated attention",
// "5:1 local : global", "23 Mamba-2 : 6 attention"), computed from the layer graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// How a layer's cache behaves with context, read from Mixer::cache_terms: `global` layers keep
// KV that grows without a cap (the heavy ones), `local` layers keep at most a window or chunk,
// `recurrent` layers keep only fixed-size state (linear attention, SSMs).
enum class CacheGrowth { recurrent, local, global };
CacheGrowth cache_growth(const Mixer& mixer);

struct KindCount {
  std::string layer_kind;  // Mixer::layer_kind()
  std::string label;       // as papers name it within this model ("local", "Gated DeltaNet")
  std::uint64_t n_layers = 0;
  CacheGrowth growth = CacheGrowth::global;
};

struct LayerRatio {
  // Mixer layer kinds, cheap first (recurrent, then local, then global), then by count.
  std::vector<KindCount> kinds;
  // Layers per kind (same order) in one period of the repeating mixer pattern, reduced by
  // their gcd; empty when the pattern does not repeat at least twice.
  std::vector<std::uint64_t> cycle;
  std::uint64_t n_mixer_layers = 0;
  std::uint64_t n_global_layers = 0;  // layers with uncapped KV growth

  // "3:1 Gated DeltaNet : gated attention" from the cycle, else "23 Mamba-2 : 6 attention"
  // from the counts; one kind: "32 attention".
  std::string label() const;
  // The layer counts, "36:12" (one kind: "32").
  std::string counts() const;
  // Share of mixer layers whose KV grows without a cap (0.25 for a 3:1 hybrid).
  double global_share() const;
  // Share of mixer layers of the attending kinds (local or global: a KV cache, windowed or not,
  // their own or one they read through kv_shared_from); 0.25 for a 3:1 hybrid, 1 for Gemma 3.
  double attention_share() const;
};

LayerRatio layer_ratio(const Architecture& architecture);

// A layer kind as papers name it: "Gated DeltaNet", "MLA"; `long_form` tells apart kinds with
// the same short name ("RoPE attention" vs "NoPE attention"). Unlisted kinds: their own name.
std::string layer_kind_name(const std::string& layer_kind, bool long_form);

// The smallest period p (at least two full periods in `sequence`) such that every full period
// equals the first; the tail after the last full period may differ (Kimi Linear ends with an
// extra MLA layer). 0 when there is none.
std::size_t repeating_period(const std::vector<std::string>& sequence);

}  // namespace attnsim
