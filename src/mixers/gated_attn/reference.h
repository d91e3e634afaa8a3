// Reference execution of Qwen3-Next gated attention (mixers-spec §4): per-head [q | gate] split,
// zero-centred (1 + w) RMSNorm on q and k, partial half-split RoPE, GQA softmax attention,
// elementwise sigmoid output gate.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/gated_attn/core_flops.h"

namespace attnsim::gated_attn {

struct Inputs {
  Tensor q_and_gate;     // [B, Tq, Hq, 2D]: features :D query, D: gate logits, per head
  Tensor k;              // [B, Tk, Hkv, D]
  Tensor v;              // [B, Tk, Hkv, D]
  Tensor q_norm_weight;  // [D], zero-centred
  Tensor k_norm_weight;  // [D], zero-centred
  std::vector<std::int64_t> q_positions;  // empty = bottom-right default
  std::vector<std::int64_t> k_positions;
};

struct Options {
  double rope_theta = 1e7;              // Qwen3-Next
  double partial_rotary_factor = 0.25;  // rd = int(D·ρ), must be even
  double eps = 1e-6;
  std::optional<double> scale;  // default D^−1/2
  std::optional<std::int64_t> window;
  std::int64_t query_block = 64;
  Precision precision = Precision::float64;  // of the attention core
};

struct Result {
  Tensor o;          // [B, Tq, Hq, D], gated
  Tensor o_ungated;  // [B, Tq, Hq, D]
  Tensor lse;        // [B, Tq, Hq]
  Tensor q_rot;      // [B, Tq, Hq, D], normalised and rotated
  Tensor k_rot;      // [B, Tk, Hkv, D]
  OpCounts counts;
  std::int64_t cache_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::gated_attn
