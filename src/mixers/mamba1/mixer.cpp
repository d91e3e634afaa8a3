// Parameters and state accounting of Mamba-1 (Gu & Dao 2023, "Mamba", §3; HF MambaCache keeps
// ssm_states [d_inner, d_state] and conv_states [d_inner, d_conv] per layer).
#include "mixers/mamba1/mixer.h"

#include <fmt/format.h>

#include "mixers/mamba1/core_flops.h"
#include "mixers/mamba1/session.h"

namespace attnsim::mamba1 {

namespace {
struct Mamba1Shape {
  std::uint64_t d_inner = 0;      // expand × d_model channels
  std::uint64_t state_size = 0;   // N (d_state)
  std::uint64_t conv_kernel = 0;  // d_conv
  std::uint64_t dt_rank = 0;      // 0: mamba_ssm's "auto", ceil(D / 16)
  bool conv_bias = true;          // mamba_ssm Mamba default conv_bias=True
  bool inner_norms = false;       // RMSNorms on Δ, B and C (Hymba's mamba_inner_layernorms)
};

class Mamba1 final : public Mixer {
 public:
  explicit Mamba1(Mamba1Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mamba1"; }
  std::string describe() const override {
    return fmt::format("d_inner={} N={} conv={}", shape_.d_inner, shape_.state_size,
                       shape_.conv_kernel);
  }
  // State h [d_inner, N]; the conv keeps its last d_conv−1 inputs over d_inner channels. (HF's
  // MambaCache allocates d_conv columns; that is an engine choice, not the minimum.)
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "ssm state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.d_inner * shape_.state_size;
    CacheTerm conv;
    conv.name = "conv state";
    conv.role = CacheRole::conv_state;
    conv.elements_per_sequence = (shape_.conv_kernel - 1) * shape_.d_inner;
    conv.conv_kernel = shape_.conv_kernel;
    return {state, conv};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Mamba1>(*this); }
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(weight_tensors(context));
  }
  // mamba_ssm Mamba (names as HF MambaMixer and Phi3Mamba): in_proj D·2·d_inner (x, z), x_proj
  // d_inner·(R + 2·N), dt_proj R·d_inner with bias d_inner, out_proj d_inner·D, depthwise conv
  // k·d_inner (+ bias), A_log d_inner·N and D d_inner. R = dt_rank. With inner norms, RMSNorm
  // weights of R, N and N on Δ, B and C after x_proj (HymbaBlock's dt/B/C_layernorm).
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    const Count d_inner = shape_.d_inner;
    const Count state_size = shape_.state_size;
    const Count R = dt_rank(context.d_model);
    return {{"in_proj.weight", "projections", context.d_model * 2 * d_inner},
            {"conv1d.weight", "conv", Count(shape_.conv_kernel) * d_inner},
            {"conv1d.bias", "biases", shape_.conv_bias ? d_inner : Count{}},
            {"x_proj.weight", "projections", d_inner * (R + 2 * state_size)},
            {"dt_proj.weight", "projections", R * d_inner},
            {"dt_proj.bias", "biases", d_inner},
            {"A_log", "gates", d_inner * state_size},
            {"D", "gates", d_inner},
            {"out_proj.weight", "projections", d_inner * context.d_model},
            {"dt_layernorm.weight", "norms", shape_.inner_norms ? R : Count{}},
            {"B_layernorm.weight", "norms", shape_.inner_norms ? state_size : Count{}},
            {"C_layernorm.weight", "norms", shape_.inner_norms ? state_size : Count{}}};
  }
  // The selective scan (core_flops.h): per token and channel, h = exp(Δ·A)∘h + Δx·B is N
  // multiply-adds (the exp is elementwise) and y = C·h another N → 4·d_inner·N FLOPs per
  // token; the reference has no chunked form, so the chunk setting does not change it.
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return step_flops(context.d_model, tokens);
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t) const override {
    return step_flops(context.d_model, 1);
  }
  std::uint64_t cache_split_heads() const override { return shape_.d_inner; }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("d_inner", static_cast<std::int64_t>(shape_.d_inner));
    bound.set("N", static_cast<std::int64_t>(shape_.state_size));
    bound.set("Kconv", static_cast<std::int64_t>(shape_.conv_kernel));
    return bound;
  }

 private:
  std::uint64_t dt_rank(std::uint64_t d_model) const {
    return shape_.dt_rank > 0 ? shape_.dt_rank : (d_model + 15) / 16;
  }
  FlopCounts step_flops(std::uint64_t d_model, std::uint64_t tokens) const {
    const ParamCounts weights = params({d_model});
    const auto T = static_cast<double>(tokens);
    const FlopCounts flops = projection_and_conv_flops(weights, T);
    const Shapes core{static_cast<std::int64_t>(shape_.d_inner),
                      static_cast<std::int64_t>(shape_.state_size)};
    return combined(flops, core_flops(core, static_cast<std::int64_t>(tokens)));
  }
  Mamba1Shape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  Mamba1Shape shape;
  shape.d_inner = values.positive("d_inner");
  shape.state_size = values.positive("state_size");
  shape.conv_kernel = values.positive("conv_kernel");
  shape.dt_rank = values.count("dt_rank");
  shape.conv_bias = values.flag("conv_bias");
  shape.inner_norms = values.flag("inner_norms");
  return std::make_unique<Mamba1>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"d_inner", positive, FieldRole::width, kRequired, "channels", "inner width (E·D)"},
      {"state_size", positive, FieldRole::state_size, kRequired, "channels",
       "N: state per channel"},
      {"conv_kernel", positive, FieldRole::none, kRequired, "tokens",
       "depthwise causal conv over d_inner channels"},
      {"dt_rank", count, FieldRole::width, "0", "channels", "rank of the Δ projection; 0: ⌈D/16⌉"},
      {"conv_bias", flag, FieldRole::none, "true", "", "a bias on the conv"},
      {"inner_norms", flag, FieldRole::none, "false", "",
       "RMSNorms on Δ, B and C after x_proj (Hymba's mamba_inner_layernorms)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"mamba1",
          "Mamba-1 selective SSM: state d_inner·N + conv over d_inner channels",
          &fields(),
          &from_fields,
          {"ssm state (recurrent_state): d_inner·N per sequence",
           "conv state (conv_state): (k − 1)·d_inner per sequence"},
          {"recurrent"},
          {{"mamba1", "Mamba", "Mamba"}},
          &facet()};
}

}  // namespace attnsim::mamba1
