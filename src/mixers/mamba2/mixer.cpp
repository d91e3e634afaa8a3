// Parameters and state accounting of Mamba-2 (mixers-spec §8; Dao & Gu 2024).
#include "mixers/mamba2/mixer.h"

#include <fmt/format.h>

#include "mixers/common/linear_flops.h"
#include "mixers/mamba2/core_flops.h"
#include "mixers/mamba2/session.h"

namespace attnsim::mamba2 {

namespace {
struct Mamba2Shape {
  std::uint64_t n_heads = 0;      // H
  std::uint64_t head_dim = 0;     // P; d_inner = H·P
  std::uint64_t state_size = 0;   // N (d_state)
  std::uint64_t n_groups = 0;     // G: B and C are shared by H/G heads
  std::uint64_t conv_kernel = 0;  // d_conv
  bool conv_bias = true;          // mamba_ssm Mamba2 default conv_bias=True
  bool proj_bias = false;         // mamba_ssm default bias=False on in_proj/out_proj
  bool gated_norm = true;         // mamba_ssm rmsnorm=True; Falcon-H1 mamba_rms_norm may be false
};

class Mamba2 final : public LinearCoreMixer<Shapes> {
 public:
  explicit Mamba2(Mamba2Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mamba2"; }
  std::string describe() const override {
    return fmt::format("H={} P={} N={} G={} conv={}", shape_.n_heads, shape_.head_dim,
                       shape_.state_size, shape_.n_groups, shape_.conv_kernel);
  }
  // State h [H, P, N]; the conv keeps its last d_conv−1 inputs over the x, B and C channels,
  // d_inner + 2·G·N of them (mixers-spec §8 "Cost").
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "ssm state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.n_heads * shape_.head_dim * shape_.state_size;
    CacheTerm conv;
    conv.name = "conv state";
    conv.role = CacheRole::conv_state;
    conv.elements_per_sequence =
        (shape_.conv_kernel - 1) *
        (shape_.n_heads * shape_.head_dim + 2 * shape_.n_groups * shape_.state_size);
    conv.conv_kernel = shape_.conv_kernel;
    return {state, conv};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Mamba2>(*this); }
  // mamba_ssm Mamba2: in_proj D·(2·d_inner + 2·G·N + H) (z, x, B, C, dt), out_proj d_inner·D,
  // depthwise conv k·(d_inner + 2·G·N) (+ bias), A_log, dt_bias and D per head, gated RMSNorm
  // over d_inner (unless gated_norm is false: Falcon-H1's mamba_rms_norm false).
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(weight_tensors(context));
  }
  // Named as transformers' Mamba2Mixer / NemotronHMamba2Mixer / BambaMixer name them.
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    const Count heads = shape_.n_heads;
    const Count d_inner = heads * shape_.head_dim;
    const Count conv_channels = d_inner + 2 * Count(shape_.n_groups) * shape_.state_size;
    const Count in_width = d_inner + conv_channels + heads;
    const Count d_model = context.d_model;
    auto present = [](bool flag, Count count) { return flag ? count : Count{}; };
    return {{"in_proj.weight", "projections", d_model * in_width},
            {"in_proj.bias", "biases", present(shape_.proj_bias, in_width)},
            {"conv1d.weight", "conv", Count(shape_.conv_kernel) * conv_channels},
            {"conv1d.bias", "biases", present(shape_.conv_bias, conv_channels)},
            {"dt_bias", "gates", heads},
            {"A_log", "gates", heads},
            {"D", "gates", heads},
            {"norm.weight", "norms", present(shape_.gated_norm, d_inner)},
            {"out_proj.weight", "projections", d_inner * d_model},
            {"out_proj.bias", "biases", present(shape_.proj_bias, d_model)}};
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("H", static_cast<std::int64_t>(shape_.n_heads));
    bound.set("P", static_cast<std::int64_t>(shape_.head_dim));
    bound.set("N", static_cast<std::int64_t>(shape_.state_size));
    bound.set("G", static_cast<std::int64_t>(shape_.n_groups));
    bound.set("Kconv", static_cast<std::int64_t>(shape_.conv_kernel));
    return bound;
  }

 private:
  Shapes core_shapes() const override {
    return {static_cast<std::int64_t>(shape_.n_heads), static_cast<std::int64_t>(shape_.head_dim),
            static_cast<std::int64_t>(shape_.state_size),
            static_cast<std::int64_t>(shape_.n_groups)};
  }
  Mamba2Shape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  Mamba2Shape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim = values.positive("head_dim");
  shape.state_size = values.positive("state_size");
  shape.n_groups = values.positive("n_groups");
  shape.conv_kernel = values.positive("conv_kernel");
  values.require_divides("n_groups", "n_heads", "head h reads B/C group h // (H / G)");
  shape.conv_bias = values.flag("conv_bias");
  shape.proj_bias = values.flag("proj_bias");
  shape.gated_norm = values.flag("gated_norm");
  return std::make_unique<Mamba2>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "SSM heads H"},
      {"head_dim", positive, FieldRole::width, kRequired, "channels", "P: channels per head"},
      {"state_size", positive, FieldRole::state_size, kRequired, "channels",
       "N: state per channel"},
      {"n_groups", positive, FieldRole::head_groups, kRequired, "groups",
       "G: B/C groups (a divisor of n_heads)", "n_heads"},
      {"conv_kernel", positive, FieldRole::none, kRequired, "tokens",
       "depthwise causal conv over x, B and C"},
      {"conv_bias", flag, FieldRole::none, "true", "", "a bias on the conv"},
      {"proj_bias", flag, FieldRole::none, "false", "", "biases on the in/out projections"},
      {"gated_norm", flag, FieldRole::none, "true", "",
       "the gated RMSNorm of d_inner before out_proj (false: Falcon-H1 mamba_rms_norm false)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"mamba2",
          "Mamba-2 SSD: state H·P·N + conv over d_inner + 2·G·N channels",
          &fields(),
          &from_fields,
          {"ssm state (recurrent_state): H·P·N per sequence",
           "conv state (conv_state): (k − 1)·(H·P + 2·G·N) per sequence"},
          {"chunked", "recurrent"},
          {{"mamba2", "Mamba-2", "Mamba-2"}},
          &facet()};
}

}  // namespace attnsim::mamba2
