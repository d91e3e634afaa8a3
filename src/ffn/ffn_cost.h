// Parameters and FLOPs of an FFN block (dense MLP or mixture of experts), by component. Plain
// functions of the spec and d_model; the model-level sums are in cost/params and cost/flops.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ffn/ffn.h"

namespace attnsim {

// Components: "dense" (an MLP's matrices), "routed_experts", "shared_experts", "router",
// "latent_projections" (latent MoE down/up projections), "biases", kPostNorm (the model
// counts it with the layer norms; the pre-norm is the model's too).
using FfnParamCounts = std::map<std::string, std::uint64_t>;

struct FfnParams {
  FfnParamCounts total;
  // What one token uses: all of a dense MLP; for MoE the shared experts, top_k routed experts,
  // the router and the latent projections.
  FfnParamCounts active;
  // Tensors a checkpoint stores that transformers keeps as buffers, not parameters:
  // "router_score_bias" (DeepSeek-V3's e_score_correction_bias, E per MoE layer).
  FfnParamCounts stored;
};

// Each expert (and a dense MLP) has matrices_per_expert(activation) matrices of width × in,
// in = latent_dim or D. Shared experts and the router always work at D.
FfnParams ffn_params(const FfnSpec& spec, std::uint64_t d_model);

// One tensor of an FFN block, named as transformers names it inside the block's module (Llama's
// MLP gate_proj/up_proj/down_proj; DeepSeek-V3-style MoE gate.weight, experts.gate_up_proj,
// experts.down_proj, shared_experts.*, shared_expert_gate; NemotronH's fc1/fc2_latent_proj).
// `stored`: a buffer a checkpoint stores (gate.e_score_correction_bias), not a parameter.
struct FfnTensor {
  std::string name;
  std::uint64_t count = 0;
  bool stored = false;
};
// Every tensor of the block with a nonzero count; the parameters add up to ffn_params' total and
// the stored ones to its `stored`.
std::vector<FfnTensor> ffn_tensors(const FfnSpec& spec, std::uint64_t d_model);

// FLOPs per token by operation ("mlp", "experts", "shared_experts", "router",
// "latent_projections"): 2 per active matrix weight. The same in prefill and decode, since
// every token passes the FFN independently. Double on purpose: model-level sums of these over
// millions of tokens exceed 2^53 and are estimates.
std::map<std::string, double> ffn_flops_per_token(const FfnSpec& spec, std::uint64_t d_model);

}  // namespace attnsim
