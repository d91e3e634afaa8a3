// Parameters and state accounting of the xLSTM-7B mLSTM layer (mixers-spec-recurrent §14).
#include "mixers/mlstm/mixer.h"

#include <fmt/format.h>

#include "mixers/common/linear_flops.h"
#include "mixers/mlstm/core_flops.h"
#include "mixers/mlstm/session.h"

namespace attnsim::mlstm {

namespace {
struct MlstmShape {
  std::uint64_t n_heads = 0;     // NH
  std::uint64_t head_dim_k = 0;  // DK (qk_dim_factor · D / NH)
  std::uint64_t head_dim_v = 0;  // DV (v_dim_factor · D / NH)
  bool bias = false;             // xLSTMLargeConfig use_bias
};

class Mlstm final : public LinearCoreMixer<Shapes> {
 public:
  explicit Mlstm(MlstmShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mlstm"; }
  std::string describe() const override {
    return fmt::format("NH={} DK={} DV={}", shape_.n_heads, shape_.head_dim_k, shape_.head_dim_v);
  }
  // C [NH, DK, DV], n [NH, DK] and m [NH] (float32 in xLSTM-7B: inference_state_dtype).
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "C+n+m";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence =
        shape_.n_heads * (shape_.head_dim_k * shape_.head_dim_v + shape_.head_dim_k + 1);
    return {state};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Mlstm>(*this); }
  // NX-AI xlstm xlstm_large/model.py mLSTMLayer: q, k D → NH·DK, v and the output gate
  // D → NH·DV, out_proj NH·DV → D (biases with use_bias), igate and fgate D → NH with biases;
  // multihead_norm a weight of NH·DV (and a bias with use_bias).
  ParamCounts params(const ParamContext& context) const override {
    const Count heads = shape_.n_heads;
    const Count qk = heads * shape_.head_dim_k, v = heads * shape_.head_dim_v;
    const Count d_model = context.d_model;
    ParamCounts params;
    params["projections"] = d_model * (2 * qk + 2 * v) + v * d_model + 2 * d_model * heads;
    params["biases"] = 2 * heads + (shape_.bias ? 2 * qk + 2 * v + d_model + v : Count{});
    params["norms"] = v;
    return params;
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  // xLSTM-7B's gate soft-cap 15 (xlstm_large mLSTMLayerConfig.gate_soft_cap).
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("NH", static_cast<std::int64_t>(shape_.n_heads));
    bound.set("DK", static_cast<std::int64_t>(shape_.head_dim_k));
    bound.set("DV", static_cast<std::int64_t>(shape_.head_dim_v));
    bound.set("gate_soft_cap", 15.0);
    return bound;
  }

 private:
  Shapes core_shapes() const override {
    return {static_cast<std::int64_t>(shape_.n_heads), static_cast<std::int64_t>(shape_.head_dim_k),
            static_cast<std::int64_t>(shape_.head_dim_v)};
  }
  MlstmShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  MlstmShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim_k = values.positive("head_dim_k");
  shape.head_dim_v = values.positive("head_dim_v");
  shape.bias = values.flag("bias");
  return std::make_unique<Mlstm>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "heads NH (num_heads)"},
      {"head_dim_k", positive, FieldRole::state_size, kRequired, "channels",
       "DK: q/k head dim (qk_dim_factor · D / NH); each head keeps DK × DV + DK + 1"},
      {"head_dim_v", positive, FieldRole::width, kRequired, "channels",
       "DV: v head dim (v_dim_factor · D / NH)"},
      {"bias", flag, FieldRole::none, "false", "",
       "biases on q, k, v, the output gate, out_proj and the head norm (use_bias)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"mlstm",
          "xLSTM mLSTM: exponential-gated matrix memory, state NH·(DK·DV + DK + 1)",
          &fields(),
          &from_fields,
          {"C+n+m (recurrent_state): NH·(DK·DV + DK + 1) per sequence"},
          {"chunkwise", "recurrent", "parallel"},
          {{"mlstm", "mLSTM", "mLSTM"}},
          &facet()};
}

}  // namespace attnsim::mlstm
