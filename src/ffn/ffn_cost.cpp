// Implementation of the FFN parameter and FLOP counts.
#include "ffn/ffn_cost.h"

#include "core/count.h"
#include "core/units.h"

namespace attnsim {

namespace {
// Parameter counts are exact integers: every product and sum is checked (core/units.h), so an
// absurd size in a file is an error, never a wrapped count.
constexpr std::string_view kWhat = "FFN parameters";

std::uint64_t mul(std::uint64_t a, std::uint64_t b) { return checked_mul(a, b, kWhat); }
std::uint64_t sum(std::uint64_t a, std::uint64_t b) { return checked_add(a, b, kWhat); }

// Matrix weights of one expert (or MLP) of hidden width `width` reading `in` channels.
std::uint64_t expert_weights(const FfnSpec& spec, std::uint64_t in, std::uint64_t width) {
  return mul(mul(static_cast<std::uint64_t>(matrices_per_expert(spec.activation)), in), width);
}

// Biases of one expert: every matrix but the last projects to `width`, the last back to `in`.
std::uint64_t expert_biases(const FfnSpec& spec, std::uint64_t in, std::uint64_t width) {
  if (!spec.bias) return 0;
  return sum(mul(static_cast<std::uint64_t>(matrices_per_expert(spec.activation) - 1), width), in);
}

void add(FfnParamCounts& counts, const std::string& key, std::uint64_t value) {
  if (value > 0) counts[key] = sum(counts[key], value);
}
}  // namespace

FfnParams ffn_params(const FfnSpec& spec, std::uint64_t d_model) {
  FfnParams params;
  const std::uint64_t post_norm = spec.post_norm ? d_model : 0;
  if (spec.kind == FfnKind::dense) {
    add(params.total, "dense", expert_weights(spec, d_model, spec.d_ff));
    add(params.total, "biases", expert_biases(spec, d_model, spec.d_ff));
    add(params.total, std::string(kPostNorm), post_norm);
    params.active = params.total;
    return params;
  }
  const std::uint64_t in = spec.latent_dim > 0 ? spec.latent_dim : d_model;
  const std::uint64_t per_expert = expert_weights(spec, in, spec.expert_width);
  const std::uint64_t per_expert_biases = expert_biases(spec, in, spec.expert_width);
  const std::uint64_t shared =
      mul(spec.n_shared_experts, expert_weights(spec, d_model, spec.shared_expert_width));
  const std::uint64_t shared_biases =
      mul(spec.n_shared_experts, expert_biases(spec, d_model, spec.shared_expert_width));
  const std::uint64_t router =
      sum(mul(spec.n_experts, d_model), spec.router_bias ? spec.n_experts : 0);
  const std::uint64_t gate = spec.shared_expert_gate ? d_model : 0;
  // Latent MoE: down-projection D→latent before the experts and up-projection after them.
  const std::uint64_t latent = spec.latent_dim > 0 ? mul(mul(2, d_model), spec.latent_dim) : 0;
  for (FfnParamCounts* counts : {&params.total, &params.active}) {
    const std::uint64_t experts = counts == &params.total ? spec.n_experts : spec.top_k;
    add(*counts, "routed_experts", mul(experts, per_expert));
    add(*counts, "shared_experts", sum(shared, gate));
    add(*counts, "router", router);
    add(*counts, "latent_projections", latent);
    add(*counts, "biases", sum(mul(experts, per_expert_biases), shared_biases));
    add(*counts, std::string(kPostNorm), post_norm);
  }
  if (spec.router_score_bias) add(params.stored, "router_score_bias", spec.n_experts);
  return params;
}

std::vector<FfnTensor> ffn_tensors(const FfnSpec& spec, std::uint64_t d_model) {
  const bool gated = matrices_per_expert(spec.activation) == 3;
  auto biases = [&spec](std::uint64_t count) { return spec.bias ? count : 0; };
  std::vector<FfnTensor> tensors;
  // An MLP of width w at `in` channels under `prefix`: gate and up project in → w, down w → in.
  auto mlp = [&](const std::string& prefix, std::uint64_t in, std::uint64_t w) {
    if (gated) tensors.push_back({prefix + "gate_proj.weight", mul(in, w)});
    if (gated) tensors.push_back({prefix + "gate_proj.bias", biases(w)});
    tensors.push_back({prefix + "up_proj.weight", mul(in, w)});
    tensors.push_back({prefix + "up_proj.bias", biases(w)});
    tensors.push_back({prefix + "down_proj.weight", mul(w, in)});
    tensors.push_back({prefix + "down_proj.bias", biases(in)});
  };
  const std::uint64_t post_norm = spec.post_norm ? d_model : 0;
  if (spec.kind == FfnKind::dense) {
    mlp("", d_model, spec.d_ff);
  } else {
    const std::uint64_t experts = spec.n_experts;
    const std::uint64_t in = spec.latent_dim > 0 ? spec.latent_dim : d_model;
    const std::uint64_t w = spec.expert_width;
    tensors.push_back({"gate.weight", mul(experts, d_model)});
    tensors.push_back({"gate.bias", spec.router_bias ? experts : 0});
    tensors.push_back({"gate.e_score_correction_bias", spec.router_score_bias ? experts : 0, true});
    // transformers 5 keeps each expert matrix as one 3-D tensor over all experts.
    const std::string up = gated ? "experts.gate_up_proj" : "experts.up_proj";
    tensors.push_back({up, mul(mul(experts, gated ? 2 : 1), mul(in, w))});
    tensors.push_back({up + "_bias", biases(mul(mul(experts, gated ? 2 : 1), w))});
    tensors.push_back({"experts.down_proj", mul(experts, mul(w, in))});
    tensors.push_back({"experts.down_proj_bias", biases(mul(experts, in))});
    // n shared experts of width w' are one MLP of width n·w' (DeepseekV3MoE.shared_experts).
    if (spec.n_shared_experts > 0)
      mlp("shared_experts.", d_model, mul(spec.n_shared_experts, spec.shared_expert_width));
    tensors.push_back({"shared_expert_gate.weight", spec.shared_expert_gate ? d_model : 0});
    if (spec.latent_dim > 0) {
      tensors.push_back({"fc1_latent_proj.weight", mul(d_model, spec.latent_dim)});
      tensors.push_back({"fc2_latent_proj.weight", mul(spec.latent_dim, d_model)});
    }
  }
  tensors.push_back({std::string(kPostNorm) + ".weight", post_norm});
  std::erase_if(tensors, [](const FfnTensor& tensor) { return tensor.count == 0; });
  return tensors;
}

std::map<std::string, double> ffn_flops_per_token(const FfnSpec& spec, std::uint64_t d_model) {
  std::map<std::string, double> flops;
  auto add_weights = [&flops](const std::string& key, std::uint64_t weights) {
    if (weights > 0) flops[key] += 2.0 * static_cast<double>(weights);
  };
  if (spec.kind == FfnKind::dense) {
    add_weights("mlp", expert_weights(spec, d_model, spec.d_ff));
    return flops;
  }
  const std::uint64_t in = spec.latent_dim > 0 ? spec.latent_dim : d_model;
  add_weights("experts", spec.top_k * expert_weights(spec, in, spec.expert_width));
  add_weights("shared_experts",
              spec.n_shared_experts * expert_weights(spec, d_model, spec.shared_expert_width) +
                  (spec.shared_expert_gate ? d_model : 0));
  add_weights("router", spec.n_experts * d_model);
  add_weights("latent_projections", spec.latent_dim > 0 ? 2 * d_model * spec.latent_dim : 0);
  return flops;
}

}  // namespace attnsim
