// Parameters and cache accounting of gated attention (mixers-spec §4). The gate and norms add
// no cache: per token it stores k and v exactly like softmax attention.
#include "mixers/gated_attn/mixer.h"

#include <fmt/format.h>

#include "mixers/gated_attn/session.h"
#include "mixers/softmax_attn/mixer.h"

namespace attnsim::gated_attn {

namespace {
using softmax_attn::AttentionShape;
using softmax_attn::AttentionWeights;

class GatedAttention final : public Mixer {
 public:
  GatedAttention(AttentionShape shape, AttentionWeights weights, double partial_rotary_factor)
      : shape_(shape), weights_(weights), partial_rotary_factor_(partial_rotary_factor) {}
  std::string_view kind() const override { return "gated_attn"; }
  std::string layer_kind() const override {
    return shape_.window ? "gated_sliding_attn" : "gated_attn";
  }
  std::string describe() const override {
    return fmt::format("{} rope_fraction={}", softmax_attn::describe(shape_),
                       partial_rotary_factor_);
  }
  std::vector<CacheTerm> cache_terms() const override { return {softmax_attn::kv_term(shape_)}; }
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    AttentionShape dense = shape_;
    dense.window.reset();
    dense.chunk.reset();
    return std::make_unique<GatedAttention>(dense, weights_, partial_rotary_factor_);
  }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<GatedAttention>(*this); }
  // The q projection emits the query and the output gate, Hq·D each (HF Qwen3NextAttention
  // q_proj: hidden → num_heads·head_dim·2).
  ParamCounts params(const ParamContext& context) const override {
    return softmax_attn::attention_params(shape_, weights_, context.d_model, 2);
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    return softmax_attn::attention_tensors(shape_, weights_, context.d_model, 2);
  }
  // Gate, norms and RoPE are elementwise (mixers-spec §4): projections + the §1 core.
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return combined(projection_flops(params({context.d_model}), static_cast<double>(tokens)),
                    softmax_attn::attention_core_prefill(shape_, context, tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return combined(projection_flops(params({context.d_model}), 1.0),
                    softmax_attn::attention_core_decode(shape_, context_tokens));
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_kv_heads; }
  std::optional<reference::Binding> reference_binding() const override {
    return binding(shape_, partial_rotary_factor_);
  }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    return softmax_attn::attention_projection_shapes(shape_, static_cast<double>(context.d_model),
                                                     2);
  }

 private:
  AttentionShape shape_;
  AttentionWeights weights_;
  double partial_rotary_factor_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  const AttentionShape shape = softmax_attn::attention_shape(values);
  const double factor = values.number("partial_rotary_factor");
  if (!(factor > 0.0 && factor <= 1.0))
    values.reject("partial_rotary_factor", "a number in (0, 1]", fmt::format("{}", factor),
                  "the fraction of head_dim that RoPE rotates");
  return std::make_unique<GatedAttention>(shape, softmax_attn::attention_weights(values), factor);
}

FieldTable gated_fields() {
  FieldTable fields = softmax_attn::attention_fields("head");
  fields.push_back({"partial_rotary_factor", FieldType::number, FieldRole::none, "1.0", "",
                    "the fraction of each head's Dk that RoPE rotates, in (0, 1]"});
  return fields;
}
}  // namespace

MixerKind kind_info() {
  static const FieldTable fields = gated_fields();
  return {
      "gated_attn",
      "gated attention (Qwen3-Next): q/k RMSNorm, partial RoPE, sigmoid output gate",
      &fields,
      &from_fields,
      {"k+v (kv): Hkv·(Dk + Dv) per token, at most W (or chunk) tokens"},
      {"blocked"},
      {{"gated_attn", "gated attention", "gated attention"},
       {"gated_sliding_attn", "gated sliding-window attention", "gated sliding-window attention"}},
      &facet()};
}

}  // namespace attnsim::gated_attn
