// Parameters and state accounting of RWKV-7 time mixing (mixers-spec-recurrent §13).
#include "mixers/rwkv7/mixer.h"

#include <fmt/format.h>

#include "mixers/common/linear_flops.h"
#include "mixers/rwkv7/core_flops.h"
#include "mixers/rwkv7/session.h"

namespace attnsim::rwkv7 {

namespace {
struct Rwkv7Shape {
  std::uint64_t n_heads = 0;     // H
  std::uint64_t head_dim = 0;    // N = K = V
  std::uint64_t decay_lora = 0;  // D_DECAY_LORA (w1, w2)
  std::uint64_t iclr_lora = 0;   // D_AAA_LORA (a1, a2)
  std::uint64_t value_lora = 0;  // D_MV_LORA (v1, v2); 0 in layer 0, which has no value residual
  std::uint64_t gate_lora = 0;   // D_GATE_LORA (g1, g2)
};

class Rwkv7 final : public LinearCoreMixer<Shapes> {
 public:
  explicit Rwkv7(Rwkv7Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "rwkv7"; }
  std::string describe() const override {
    return fmt::format("H={} N={} lora w{} a{} v{} g{}", shape_.n_heads, shape_.head_dim,
                       shape_.decay_lora, shape_.iclr_lora, shape_.value_lora, shape_.gate_lora);
  }
  // The WKV state [H, N, N] (float32 in the released kernels: set dtypes.recurrent_state) and the
  // token shift: the previous token's input of time mixing and of channel mixing, d_model each,
  // counted as 2·H·N (dim_att = n_embd in every released RWKV-7).
  std::vector<CacheTerm> cache_terms() const override {
    const std::uint64_t width = shape_.n_heads * shape_.head_dim;
    CacheTerm state;
    state.name = "wkv state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = width * shape_.head_dim;
    CacheTerm shift;
    shift.name = "token shift";
    shift.role = CacheRole::conv_state;
    shift.elements_per_sequence = 2 * width;
    return {state, shift};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Rwkv7>(*this); }
  // BlinkDL RWKV-LM RWKV-v7 RWKV_Tmix_x070 (A = H·N, C = D): receptance, key, value C → A and
  // output A → C; LoRAs w1/w2, a1/a2, v1/v2 (not in layer 0), g1/g2 (C·r + r·A each); the
  // token-shift mixes x_r, x_w, x_k, x_v, x_a, x_g (C each); w0, a0, v0, k_k, k_a, r_k (A
  // each); ln_x GroupNorm weight and bias (2A).
  ParamCounts params(const ParamContext& context) const override {
    const Count width = Count(shape_.n_heads) * shape_.head_dim;
    const Count d_model = context.d_model;
    Count loras = 0;
    for (const std::uint64_t rank :
         {shape_.decay_lora, shape_.iclr_lora, shape_.value_lora, shape_.gate_lora})
      loras += d_model * rank + Count(rank) * width;
    ParamCounts params;
    params["projections"] = 3 * d_model * width + width * d_model + loras;
    params["gates"] = 6 * d_model + (shape_.value_lora > 0 ? 6 : 5) * width;
    params["norms"] = 2 * width;
    return params;
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("H", static_cast<std::int64_t>(shape_.n_heads));
    bound.set("K", static_cast<std::int64_t>(shape_.head_dim));
    bound.set("V", static_cast<std::int64_t>(shape_.head_dim));
    return bound;
  }

 private:
  Shapes core_shapes() const override {
    const auto N = static_cast<std::int64_t>(shape_.head_dim);
    return {static_cast<std::int64_t>(shape_.n_heads), N, N};
  }
  Rwkv7Shape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  Rwkv7Shape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim = values.positive("head_dim");
  shape.decay_lora = values.positive("decay_lora");
  shape.iclr_lora = values.positive("iclr_lora");
  shape.value_lora = values.count("value_lora");
  shape.gate_lora = values.positive("gate_lora");
  return std::make_unique<Rwkv7>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "heads H (d_model / head_size)"},
      {"head_dim", positive, FieldRole::state_size, kRequired, "channels",
       "N = K = V (head_size, 64 in every released model): each head keeps an N × N state"},
      {"decay_lora", positive, FieldRole::width, kRequired, "channels",
       "rank of the decay LoRA w1/w2 (D_DECAY_LORA)"},
      {"iclr_lora", positive, FieldRole::width, kRequired, "channels",
       "rank of the in-context learning rate LoRA a1/a2 (D_AAA_LORA)"},
      {"value_lora", count, FieldRole::width, kRequired, "channels",
       "rank of the value-residual LoRA v1/v2 (D_MV_LORA); 0 in layer 0, which has none"},
      {"gate_lora", positive, FieldRole::width, kRequired, "channels",
       "rank of the output-gate LoRA g1/g2 (D_GATE_LORA)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"rwkv7",
          "RWKV-7 time mixing: WKV7 generalised delta rule, state H·N² + token shift",
          &fields(),
          &from_fields,
          {"wkv state (recurrent_state): H·N² per sequence",
           "token shift (conv_state): 2·H·N per sequence (time and channel mixing)"},
          {"chunked", "recurrent"},
          {{"rwkv7", "RWKV-7", "RWKV-7 time mixing"}},
          &facet()};
}

}  // namespace attnsim::rwkv7
