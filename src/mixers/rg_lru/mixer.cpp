// Parameters and state accounting of the RecurrentGemma recurrent block around the RG-LRU
// (mixers-spec-recurrent §11).
#include "mixers/rg_lru/mixer.h"

#include <fmt/format.h>

#include "mixers/common/linear_flops.h"
#include "mixers/rg_lru/core_flops.h"
#include "mixers/rg_lru/session.h"

namespace attnsim::rg_lru {

namespace {
struct RgLruShape {
  std::uint64_t width = 0;        // W = H·bw (lru_width)
  std::uint64_t n_heads = 0;      // H gate blocks
  std::uint64_t block_width = 0;  // bw = W / H
  std::uint64_t conv_kernel = 0;  // K (conv1d_width)
};

class RgLru final : public LinearCoreMixer<Shapes> {
 public:
  explicit RgLru(RgLruShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "rg_lru"; }
  std::string describe() const override {
    return fmt::format("W={} H={} bw={} conv={}", shape_.width, shape_.n_heads, shape_.block_width,
                       shape_.conv_kernel);
  }
  // h [W] (float32 in the released models: set dtypes.recurrent_state) and the conv1d's last
  // K − 1 inputs over W channels.
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "lru state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.width;
    CacheTerm conv;
    conv.name = "conv state";
    conv.role = CacheRole::conv_state;
    conv.elements_per_sequence = (shape_.conv_kernel - 1) * shape_.width;
    conv.conv_kernel = shape_.conv_kernel;
    return {state, conv};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<RgLru>(*this); }
  // transformers RecurrentGemmaRecurrentBlock: linear_x, linear_y D → W and linear_out W → D,
  // all with biases; conv_1d depthwise K taps with bias; RecurrentGemmaRglru: input and
  // recurrent gates [H, W/H, W/H] with biases [H, W/H], recurrent_param Λ [W].
  ParamCounts params(const ParamContext& context) const override {
    const Count width = shape_.width;
    const Count block = shape_.block_width;
    ParamCounts params;
    params["projections"] = 3 * context.d_model * width;
    params["biases"] = 2 * width + context.d_model + width + 2 * width;
    params["conv"] = Count(shape_.conv_kernel) * width;
    params["gates"] = 2 * width * block + width;
    return params;
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    const auto d_model = static_cast<double>(context.d_model);
    const auto width = static_cast<double>(shape_.width);
    return {{"linear_x+linear_y", d_model, 2 * width, false}, {"linear_out", width, d_model, true}};
  }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("H", static_cast<std::int64_t>(shape_.n_heads));
    bound.set("block_width", static_cast<std::int64_t>(shape_.block_width));
    bound.set("W", static_cast<std::int64_t>(shape_.width));
    bound.set("Kconv", static_cast<std::int64_t>(shape_.conv_kernel));
    return bound;
  }

 private:
  Shapes core_shapes() const override {
    return {static_cast<std::int64_t>(shape_.width), static_cast<std::int64_t>(shape_.n_heads)};
  }
  RgLruShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  RgLruShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.block_width = values.positive("block_width");
  shape.width = Count(shape.n_heads) * shape.block_width;
  shape.conv_kernel = values.positive("conv_kernel");
  return std::make_unique<RgLru>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads",
       "H: blocks of the block-diagonal gates (num_attention_heads)"},
      {"block_width", positive, FieldRole::width, kRequired, "channels",
       "bw: width of a gate block; the RG-LRU width W = H·bw (lru_width / num_attention_heads)"},
      {"conv_kernel", positive, FieldRole::none, kRequired, "tokens",
       "K: temporal conv1d before the RG-LRU (conv1d_width)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"rg_lru",
          "RecurrentGemma/Griffin recurrent block: conv1d + RG-LRU, gated by gelu(linear_y)",
          &fields(),
          &from_fields,
          {"lru state (recurrent_state): W per sequence",
           "conv state (conv_state): (K − 1)·W per sequence"},
          {"recurrent", "chunked", "scan"},
          {{"rg_lru", "RG-LRU", "RG-LRU recurrent block"}},
          &facet()};
}

}  // namespace attnsim::rg_lru
