// Reference execution of causal softmax attention, MHA/GQA/MQA with sliding window
// (mixers-spec §1): Tq ≤ Tk queries with bottom-right alignment, and a KV cache for decode and
// chunked prefill.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/softmax_attn/core_flops.h"

namespace attnsim::softmax_attn {

struct Inputs {
  Tensor q;  // [B, Tq, Hq, D]
  Tensor k;  // [B, Tk, Hkv, D]
  Tensor v;  // [B, Tk, Hkv, Dv]
  // Absolute positions, strictly increasing; empty means bottom-right (Tk − Tq + i and j).
  std::vector<std::int64_t> q_positions;
  std::vector<std::int64_t> k_positions;
};

struct Options {
  std::optional<double> scale;         // default D^−1/2
  std::optional<std::int64_t> window;  // W counts the query itself
  std::int64_t query_block = 64;       // rows per blocked product (1 = no masked work)
  Precision precision = Precision::float64;
  // DSA: per (b, query) the selected key indices [B, Tq, k], padded with −1; null = dense.
  const IndexTensor* selected_keys = nullptr;
  // With selected keys: false = dense blocks with a sparse mask (V3.2 prefill), true = only the
  // selected keys are gathered and multiplied (the spec's sparse FLOP count).
  bool gather_selected_keys = false;
};

struct Result {
  Tensor o;    // [B, Tq, Hq, Dv]
  Tensor lse;  // [B, Tq, Hq], natural log
  OpCounts counts;
  std::int64_t cache_elements = 0;  // KV elements held for the call (all sequences)
};

Result run(const Inputs& inputs, const Options& options);

// A KV cache of B sequences: k [B, L, Hkv, D], v [B, L, Hkv, Dv], positions 0… of the tokens it
// holds. With a window it keeps only the last W tokens (the spec's ring-buffer cap).
struct KvCache {
  Tensor k;
  Tensor v;
  std::vector<std::int64_t> positions;
  std::int64_t elements() const { return static_cast<std::int64_t>(k.size() + v.size()); }
};

// Appends k_new/v_new [B, Tn, Hkv, ·] at the next positions, runs q [B, Tn, Hq, D] against the
// whole cache, then trims the cache to the window. result.cache_elements is the cache after.
Result run_with_cache(KvCache& cache, const Tensor& q, const Tensor& k_new, const Tensor& v_new,
                      const Options& options);

// Shapes of validated inputs (throws UserError on inconsistent inputs).
Shapes shapes_of(const Tensor& q, const Tensor& k, const Tensor& v);

}  // namespace attnsim::softmax_attn
