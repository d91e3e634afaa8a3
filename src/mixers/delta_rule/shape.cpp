// Reading and state accounting of the delta-rule shape.
#include "mixers/delta_rule/shape.h"

#include <fmt/format.h>

#include "mixers/delta_rule/core_flops.h"
#include "mixers/delta_rule/session.h"

namespace attnsim::delta_rule {

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_qk_heads", positive, FieldRole::head_groups, kRequired, "heads",
       "query/key heads H (a divisor of n_v_heads)", "n_v_heads"},
      {"n_v_heads", positive, FieldRole::heads, kRequired, "heads",
       "value heads HV, each with its own K × V state (GVA when HV > H)"},
      {"head_dim_k", positive, FieldRole::state_size, kRequired, "channels",
       "key width K: the rows of each state"},
      {"head_dim_v", positive, FieldRole::width, kRequired, "channels", "value width V"},
      {"conv_kernel", positive, FieldRole::none, kRequired, "tokens",
       "short causal conv over q, k and v (keeps k − 1 inputs)"},
  };
  return table;
}

DeltaRuleShape delta_rule_shape(const FieldValues& values) {
  DeltaRuleShape shape;
  shape.n_qk_heads = values.positive("n_qk_heads");
  shape.n_v_heads = values.positive("n_v_heads");
  shape.head_dim_k = values.positive("head_dim_k");
  shape.head_dim_v = values.positive("head_dim_v");
  shape.conv_kernel = values.positive("conv_kernel");
  values.require_divides("n_qk_heads", "n_v_heads",
                         "value head j reads q/k head j // (n_v_heads / n_qk_heads)", true);
  return shape;
}

std::string describe(const DeltaRuleShape& shape) {
  return fmt::format("H={} HV={} K={} V={} conv={}", shape.n_qk_heads, shape.n_v_heads,
                     shape.head_dim_k, shape.head_dim_v, shape.conv_kernel);
}

std::vector<CacheTerm> state_terms(const DeltaRuleShape& shape) {
  CacheTerm state;
  state.name = "recurrent state";
  state.role = CacheRole::recurrent_state;
  state.elements_per_sequence = shape.n_v_heads * shape.head_dim_k * shape.head_dim_v;
  CacheTerm conv;
  conv.name = "conv state";
  conv.role = CacheRole::conv_state;
  conv.elements_per_sequence = (shape.conv_kernel - 1) * (2 * shape.n_qk_heads * shape.head_dim_k +
                                                          shape.n_v_heads * shape.head_dim_v);
  conv.conv_kernel = shape.conv_kernel;
  return {state, conv};
}

std::vector<WeightTensor> delta_rule_tensors(Gate gate, const DeltaRuleShape& shape,
                                             Count d_model) {
  const Count value_heads = shape.n_v_heads;
  const Count qk_width = Count(shape.n_qk_heads) * shape.head_dim_k;  // H·K
  const Count v_width = value_heads * shape.head_dim_v;               // HV·V
  const Count conv_channels = 2 * qk_width + v_width;
  const Count conv = Count(shape.conv_kernel) * conv_channels;
  if (gate == Gate::scalar)
    // q, k, v, output gate z, then beta and the decay input a (one per value head each).
    return {{"in_proj_qkv.weight", "projections", d_model * conv_channels},
            {"in_proj_z.weight", "projections", d_model * v_width},
            {"in_proj_b.weight", "projections", d_model * value_heads},
            {"in_proj_a.weight", "projections", d_model * value_heads},
            {"conv1d.weight", "conv", conv},
            {"dt_bias", "gates", value_heads},
            {"A_log", "gates", value_heads},
            {"norm.weight", "norms", Count(shape.head_dim_v)},
            {"out_proj.weight", "projections", v_width * d_model}};
  const Count rank = shape.head_dim_v;  // the low-rank width of f and g
  return {{"q_proj.weight", "projections", d_model * qk_width},
          {"k_proj.weight", "projections", d_model * qk_width},
          {"v_proj.weight", "projections", d_model * v_width},
          {"conv1d.weight", "conv", conv},
          {"forget_gate.dt_bias", "gates", qk_width},   // per key channel
          {"forget_gate.A_log", "gates", value_heads},  // per head
          {"forget_gate.f_a_proj.weight", "projections", d_model * rank},
          {"forget_gate.f_b_proj.weight", "projections", rank * qk_width},
          {"b_proj.weight", "projections", d_model * value_heads},
          {"g_a_proj.weight", "projections", d_model * rank},
          {"g_b_proj.weight", "projections", rank * v_width},
          {"o_norm.weight", "norms", Count(shape.head_dim_v)},
          {"o_proj.weight", "projections", v_width * d_model}};
}

ParamCounts delta_rule_params(Gate gate, const DeltaRuleShape& shape, Count d_model) {
  return params_by_component(delta_rule_tensors(gate, shape, d_model));
}

namespace {
// The recurrence core of one sequence of T tokens (mixers-spec §5/§6). Both gates count the
// same multiply-adds (see mixers/delta_rule/kda_core_flops.h).
FlopCounts core_flops(const DeltaRuleShape& shape, LinearAlgorithm algorithm, std::int64_t T,
                      std::int64_t C) {
  const gated_deltanet::Shapes shapes{
      static_cast<std::int64_t>(shape.n_qk_heads), static_cast<std::int64_t>(shape.n_v_heads),
      static_cast<std::int64_t>(shape.head_dim_k), static_cast<std::int64_t>(shape.head_dim_v)};
  return algorithm == LinearAlgorithm::chunked ? gated_deltanet::core_flops_chunked(shapes, T, C)
                                               : gated_deltanet::core_flops_recurrent(shapes, T);
}

// Projections, the depthwise short conv (k multiply-adds per channel and token) and the core.
FlopCounts delta_rule_flops(Gate gate, const DeltaRuleShape& shape, std::uint64_t d_model,
                            LinearAlgorithm algorithm, std::uint64_t tokens, std::uint64_t chunk) {
  const ParamCounts params = delta_rule_params(gate, shape, d_model);
  const auto T = static_cast<double>(tokens);
  return combined(projection_and_conv_flops(params, T),
                  core_flops(shape, algorithm, static_cast<std::int64_t>(tokens),
                             static_cast<std::int64_t>(chunk)));
}

class DeltaRuleMixer final : public Mixer {
 public:
  DeltaRuleMixer(std::string_view kind, Gate gate, DeltaRuleShape shape)
      : kind_(kind), gate_(gate), shape_(shape) {}
  std::string_view kind() const override { return kind_; }
  std::string describe() const override { return delta_rule::describe(shape_); }
  std::vector<CacheTerm> cache_terms() const override { return state_terms(shape_); }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<DeltaRuleMixer>(*this); }
  ParamCounts params(const ParamContext& context) const override {
    return delta_rule_params(gate_, shape_, context.d_model);
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    return delta_rule_tensors(gate_, shape_, context.d_model);
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return delta_rule_flops(gate_, shape_, context.d_model, context.linear, tokens, context.chunk);
  }
  // One recurrent step; the context length does not matter.
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t) const override {
    return delta_rule_flops(gate_, shape_, context.d_model, LinearAlgorithm::recurrent, 1, 1);
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_v_heads; }
  std::optional<reference::Binding> reference_binding() const override { return binding(shape_); }

 private:
  std::string_view kind_;
  Gate gate_;
  DeltaRuleShape shape_;
};
}  // namespace

std::unique_ptr<Mixer> make_delta_rule_mixer(std::string_view kind, Gate gate,
                                             const DeltaRuleShape& shape) {
  return std::make_unique<DeltaRuleMixer>(kind, gate, shape);
}

}  // namespace attnsim::delta_rule
