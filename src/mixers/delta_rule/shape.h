// Shape and state accounting shared by the two delta-rule mixers, Gated DeltaNet and Kimi Delta
// Attention: they differ in the gate (scalar vs per key channel), not in what they keep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mixers/mixer.h"

namespace attnsim::delta_rule {

// Gated DeltaNet decays the whole state by one scalar per head and step; KDA decays each key
// channel separately.
enum class Gate { scalar, per_key_channel };

struct DeltaRuleShape {
  std::uint64_t n_qk_heads = 0;   // H
  std::uint64_t n_v_heads = 0;    // HV (GVA when HV > H)
  std::uint64_t head_dim_k = 0;   // K
  std::uint64_t head_dim_v = 0;   // V
  std::uint64_t conv_kernel = 0;  // short causal conv over q, k and v
};

const FieldTable& fields();
DeltaRuleShape delta_rule_shape(const FieldValues& values);
std::string describe(const DeltaRuleShape& shape);
// State HV·K·V per sequence, and the conv state (k−1)·(2·H·K + HV·V): the last k−1 inputs of
// the q, k and v convolutions (mixers-spec §5 "Cost").
std::vector<CacheTerm> state_terms(const DeltaRuleShape& shape);

// Weights. Gated DeltaNet (HF Qwen3NextGatedDeltaNet): in_proj_qkvz D·(2·H·K + 2·HV·V),
// in_proj_ba D·2·HV, out_proj HV·V·D; conv (2·H·K + HV·V)·k without bias; A_log and dt_bias
// HV each; gated RMSNorm V. KDA (Kimi Linear KimiDeltaAttention, fla KDA layer): q/k/v
// D·(2·H·K + HV·V), b_proj D·HV, low-rank decay f_a D·V + f_b V·H·K, low-rank output gate
// g_a D·V + g_b V·HV·V, out_proj HV·V·D; conv as above; A_log HV, dt_bias H·K; norm V.
ParamCounts delta_rule_params(Gate gate, const DeltaRuleShape& shape, Count d_model);
// The same tensor by tensor: Gated DeltaNet as Qwen3.5's GatedDeltaNet names them (in_proj_qkv,
// in_proj_z, in_proj_b, in_proj_a, conv1d, dt_bias, A_log, norm, out_proj), KDA as Kimi Linear's
// KimiDeltaAttention (q/k/v_proj, conv1d, forget_gate.{dt_bias, A_log, f_a_proj, f_b_proj},
// b_proj, g_a_proj, g_b_proj, o_norm, o_proj); delta_rule_params is their sum by component.
std::vector<WeightTensor> delta_rule_tensors(Gate gate, const DeltaRuleShape& shape, Count d_model);

// The one Mixer class behind both kinds; `kind` is "gated_deltanet" or "kda".
std::unique_ptr<Mixer> make_delta_rule_mixer(std::string_view kind, Gate gate,
                                             const DeltaRuleShape& shape);

}  // namespace attnsim::delta_rule
