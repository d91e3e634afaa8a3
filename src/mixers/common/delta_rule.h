// The gated delta rule shared by Gated DeltaNet (scalar gate, mixers-spec §5) and KDA
// (per-key-channel gate, §6): GDN is KDA with a gate broadcast over the K channels, so the
// maths is written once here. Forms: token-by-token recurrence and the chunked WY/UT form.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/common/short_conv.h"

namespace attnsim::mixers {

struct DeltaRuleInputs {
  Tensor q;              // [B, T, H, K], before l2norm
  Tensor k;              // [B, T, H, K], before l2norm
  Tensor v;              // [B, T, HV, V]
  Tensor g;              // [B, T, HV] (GDN) or [B, T, HV, K] (KDA): natural-log decays ≤ 0
  Tensor beta;           // [B, T, HV]
  Tensor initial_state;  // [B, HV, K, V] (key-major); empty = zeros
  // With a conv: q, k and v are its inputs, bound as its parts 0, 1 and 2 (ShortConv::bind),
  // and the core convolves each chunk as it loads it instead of reading a convolved copy.
  const ShortConv* conv = nullptr;
};

enum class DeltaRuleForm { recurrent, chunked };

struct DeltaRuleOptions {
  std::optional<double> scale;  // default K^−1/2, applied to q after the l2norm
  bool use_qk_l2norm = true;    // x / sqrt(Σx² + l2norm_eps)
  double l2norm_eps = 1e-6;
  DeltaRuleForm form = DeltaRuleForm::chunked;
  std::int64_t chunk_size = 64;  // need not divide T (the last chunk is shorter)
  Precision precision = Precision::float64;
};

struct DeltaRuleResult {
  Tensor o;            // [B, T, HV, V]
  Tensor final_state;  // [B, HV, K, V]
  OpCounts counts;
  std::int64_t state_elements = 0;  // recurrent state held (all sequences)
};

enum class GateKind { scalar, per_channel };

DeltaRuleResult run_delta_rule(const DeltaRuleInputs& inputs, const DeltaRuleOptions& options,
                               GateKind gate);

// Multiply-adds of one value head (the closed forms of gated_deltanet/kda call these):
// recurrent: "prediction" Sᵀk, "state_update" k uᵀ, "readout" Sᵀq, each K·V per token;
// chunked, per chunk of c tokens: "qk_scores" c(c+1)/2·K, "kk_scores" c(c−1)/2·K,
// "state_read" 2·c·K·V, "solve" c(c−1)/2·V, "intra_output" c(c+1)/2·V, "state_update" c·K·V.
FlopCounts delta_rule_flops_recurrent(std::int64_t K, std::int64_t V, std::int64_t T);
FlopCounts delta_rule_flops_chunked(std::int64_t K, std::int64_t V, std::int64_t T, std::int64_t C);

}  // namespace attnsim::mixers
