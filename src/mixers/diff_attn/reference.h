// Reference execution of differential attention (mixers-spec-new §B; Phi-4-mini-flash's
// FlashDiffCustomAttention): differential head i pairs HF heads (2i, 2i+1), reads kv pair
// j = i // (H/Hkv) with a 2D-wide value, two softmax maps combined as A¹ − λA², a per-head RMSNorm
// (subln) and the (1 − λ_init) scale. Tq ≤ Tk queries (bottom-right), sliding window, optional
// RoPE; two-pass and combined-map forms.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/common/rope.h"
#include "mixers/diff_attn/core_flops.h"

namespace attnsim::diff_attn {

struct Inputs {
  Tensor q;                                           // [B, Tq, H, D]
  Tensor k;                                           // [B, Tk, Hkv, D]
  Tensor v;                                           // [B, Tk, Hkv, D]
  Tensor lambda_q1, lambda_k1, lambda_q2, lambda_k2;  // [D] each, one set per layer
  Tensor subln_weight;                                // [2D]
  // Absolute positions, strictly increasing; empty means bottom-right (Tk − Tq + i and j).
  std::vector<std::int64_t> q_positions;
  std::vector<std::int64_t> k_positions;
};

struct Options {
  Form form = Form::two_pass;
  std::optional<std::int64_t> window;  // W counts the query itself
  std::int64_t depth = 0;              // 0-based layer index, for λ_init
  std::int64_t query_block = 64;       // rows per blocked product (1 = no masked work)
  double subln_eps = 1e-5;
  // RoPE on every HF q/k head (all D features) at the positions, before the pairing.
  std::optional<double> rope_theta;
  mixers::RopeStyle rope_style = mixers::RopeStyle::interleaved;
  // The combined form has no per-map outputs; with this set it also computes attn1 and attn2
  // (uncounted), for the oracle.
  bool intermediates = false;
  Precision precision = Precision::float64;
};

struct Result {
  Tensor o;            // [B, Tq, H, D]
  Tensor attn1;        // [B, Tq, H/2, 2D]  A¹V (empty in the combined form without intermediates)
  Tensor attn2;        // [B, Tq, H/2, 2D]  A²V
  Tensor lse1, lse2;   // [B, Tq, H/2], natural log
  Tensor lambda_full;  // [1]
  OpCounts counts;
  std::int64_t cache_elements = 0;  // K and V elements read (all sequences)
};

Result run(const Inputs& inputs, const Options& options);

// Shapes of validated q, k, v (throws UserError on inconsistent inputs).
Shapes shapes_of(const Tensor& q, const Tensor& k, const Tensor& v);

}  // namespace attnsim::diff_attn
