// Parameters and state accounting of the LFM2 short convolution (mixers-spec-recurrent §12).
#include "mixers/short_conv/mixer.h"

#include <fmt/format.h>

#include "mixers/short_conv/core_flops.h"
#include "mixers/short_conv/session.h"

namespace attnsim::short_conv {

namespace {
struct ShortConvShape {
  std::uint64_t channels = 0;     // D of the conv (LFM2: hidden_size)
  std::uint64_t conv_kernel = 0;  // L (LFM2 conv_L_cache = 3)
  bool bias = false;              // LFM2 conv_bias: on in_proj, the conv and out_proj alike
};

class ShortConv final : public Mixer {
 public:
  explicit ShortConv(ShortConvShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "short_conv"; }
  std::string describe() const override {
    return fmt::format("D={} L={}{}", shape_.channels, shape_.conv_kernel,
                       shape_.bias ? " bias" : "");
  }
  // The last L − 1 columns of u = B ⊙ x (causal_conv1d_update semantics).
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm conv;
    conv.name = "conv state";
    conv.role = CacheRole::conv_state;
    conv.elements_per_sequence = (shape_.conv_kernel - 1) * shape_.channels;
    conv.conv_kernel = shape_.conv_kernel;
    return {conv};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<ShortConv>(*this); }
  // transformers Lfm2ShortConv: in_proj D → 3·channels, out_proj channels → D, a depthwise
  // Conv1d of L taps per channel; conv_bias puts a bias on all three.
  ParamCounts params(const ParamContext& context) const override {
    const Count channels = shape_.channels;
    ParamCounts params;
    params["projections"] = context.d_model * 3 * channels + channels * context.d_model;
    params["conv"] = Count(shape_.conv_kernel) * channels;
    if (shape_.bias) params["biases"] = 3 * channels + channels + context.d_model;
    return params;
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return combined(projection_flops(params({context.d_model}), static_cast<double>(tokens)),
                    core_flops_conv(core_shapes(), static_cast<std::int64_t>(tokens)));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t) const override {
    return combined(projection_flops(params({context.d_model}), 1.0),
                    core_flops_conv(core_shapes(), 1));
  }
  // The conv is depthwise: tensor parallelism splits its channels.
  std::uint64_t cache_split_heads() const override { return shape_.channels; }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    const auto d_model = static_cast<double>(context.d_model);
    const auto channels = static_cast<double>(shape_.channels);
    return {{"in_proj", d_model, 3 * channels, false}, {"out_proj", channels, d_model, true}};
  }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("D", static_cast<std::int64_t>(shape_.channels));
    bound.set("L", static_cast<std::int64_t>(shape_.conv_kernel));
    bound.set("state_columns", static_cast<std::int64_t>(shape_.conv_kernel) - 1);
    return bound;
  }

 private:
  Shapes core_shapes() const {
    return {static_cast<std::int64_t>(shape_.channels),
            static_cast<std::int64_t>(shape_.conv_kernel)};
  }
  ShortConvShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  ShortConvShape shape;
  shape.channels = values.positive("channels");
  shape.conv_kernel = values.positive("conv_kernel");
  shape.bias = values.flag("bias");
  return std::make_unique<ShortConv>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"channels", positive, FieldRole::width, kRequired, "channels",
       "D: conv channels, the width of each of in_proj's B, C and x streams (LFM2: hidden_size)"},
      {"conv_kernel", positive, FieldRole::none, kRequired, "tokens",
       "L: taps of the depthwise causal conv (LFM2 conv_L_cache); the state keeps L − 1"},
      {"bias", flag, FieldRole::none, "false", "",
       "biases on in_proj, the conv and out_proj (LFM2 conv_bias)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"short_conv",
          "LFM2 double-gated short convolution: y = C ⊙ conv_L(B ⊙ x)",
          &fields(),
          &from_fields,
          {"conv state (conv_state): (L − 1)·D per sequence"},
          {"conv", "step", "toeplitz"},
          {{"short_conv", "short conv", "gated short convolution"}},
          &facet()};
}

}  // namespace attnsim::short_conv
