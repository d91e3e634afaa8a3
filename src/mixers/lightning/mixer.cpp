// Parameters and state accounting of lightning attention (mixers-spec §7).
#include "mixers/lightning/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/common/linear_flops.h"
#include "mixers/lightning/core_flops.h"
#include "mixers/lightning/session.h"

namespace attnsim::lightning {

namespace {
// The per-head decay formulas of mixers-spec §7; they change the numbers, not the cost.
constexpr std::string_view kSlopeFormulas[] = {"minimax", "ling", "fla"};

struct LightningShape {
  std::uint64_t n_heads = 0;     // H
  std::uint64_t head_dim_k = 0;  // K
  std::uint64_t head_dim_v = 0;  // V
  std::string slopes;
  // A sigmoid output gate D·H·V before the output norm (MiniMax-01 output_gate, Ling g_proj).
  bool output_gate = true;
};

class LightningAttention final : public LinearCoreMixer<Shapes> {
 public:
  explicit LightningAttention(LightningShape shape) : shape_(std::move(shape)) {}
  std::string_view kind() const override { return "lightning"; }
  std::string describe() const override {
    return fmt::format("H={} K={} V={} slopes={}", shape_.n_heads, shape_.head_dim_k,
                       shape_.head_dim_v, shape_.slopes);
  }
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "recurrent state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.n_heads * shape_.head_dim_k * shape_.head_dim_v;
    return {state};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<LightningAttention>(*this);
  }
  // q, k, v (D·3·H·K), the output gate, out_proj H·V·D; an RMSNorm over H·V outputs.
  ParamCounts params(const ParamContext& context) const override {
    const Count heads = shape_.n_heads;
    const Count v_width = heads * shape_.head_dim_v;
    ParamCounts params;
    params["projections"] = context.d_model * 3 * heads * shape_.head_dim_k +
                            (shape_.output_gate ? context.d_model * v_width : Count{}) +
                            v_width * context.d_model;
    params["norms"] = v_width;
    return params;
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  // The decays are drawn per head (g_gamma): the layer's index is not the mixer's to know.
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("H", static_cast<std::int64_t>(shape_.n_heads));
    bound.set("K", static_cast<std::int64_t>(shape_.head_dim_k));
    bound.set("V", static_cast<std::int64_t>(shape_.head_dim_v));
    return bound;
  }

 private:
  Shapes core_shapes() const override {
    return {static_cast<std::int64_t>(shape_.n_heads), static_cast<std::int64_t>(shape_.head_dim_k),
            static_cast<std::int64_t>(shape_.head_dim_v)};
  }
  LightningShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  LightningShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim_k = values.positive("head_dim");
  shape.head_dim_v = shape.head_dim_k;
  shape.slopes = values.choice("slopes");
  shape.output_gate = values.flag("output_gate");
  return std::make_unique<LightningAttention>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "heads H"},
      {"head_dim", positive, FieldRole::width, kRequired, "channels",
       "Dk = Dv: each head keeps a Dk × Dv state"},
      {"slopes",
       choice,
       FieldRole::none,
       kRequired,
       "",
       "the per-head decay formula of mixers-spec §7",
       "",
       {"minimax", "ling", "fla"}},
      {"output_gate", flag, FieldRole::none, "true", "", "a sigmoid output gate (D × H·Dv)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"lightning",
          "lightning attention: linear attention with constant per-head decay",
          &fields(),
          &from_fields,
          {"recurrent state (recurrent_state): H·Dk·Dv per sequence"},
          {"chunked", "recurrent"},
          {{"lightning", "lightning attention", "lightning attention"}},
          &facet()};
}

}  // namespace attnsim::lightning
