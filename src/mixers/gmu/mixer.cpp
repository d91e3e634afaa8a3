// Parameters and FLOPs of the gated memory unit (Ren et al. 2025, "Decoder-Hybrid-Decoder
// Architecture for Efficient Reasoning with Long Generation", arXiv 2507.06607, §2; Phi-4-mini-
// flash-reasoning modeling_phi4flash.py, Phi3Mamba with yoco_cross: in_proj D → d_inner,
// swiglu(in_proj(x), memory), out_proj d_inner → D, both without bias; franciskamande-ai/
// cloned_models @711ebe7d, Phi-4-mini-flash-reasoning/modeling_phi4flash.py).
#include "mixers/gmu/mixer.h"

#include <fmt/format.h>

#include "mixers/gmu/session.h"

namespace attnsim::gmu {

namespace {
class Gmu final : public Mixer {
 public:
  explicit Gmu(std::uint64_t d_inner) : d_inner_(d_inner) {}
  std::string_view kind() const override { return "gmu"; }
  std::string describe() const override {
    return fmt::format("d_inner={} (memory width)", d_inner_);
  }
  // The memory is an activation of the current token, computed by the earlier layer in the same
  // step: nothing is kept between steps.
  std::vector<CacheTerm> cache_terms() const override { return {}; }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Gmu>(*this); }
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(weight_tensors(context));
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    const Count d_inner = d_inner_;
    return {{"in_proj.weight", "projections", context.d_model * d_inner},
            {"out_proj.weight", "projections", d_inner * context.d_model}};
  }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    const auto d_model = static_cast<double>(context.d_model);
    const auto d_inner = static_cast<double>(d_inner_);
    return {{"in", d_model, d_inner, false}, {"out", d_inner, d_model, true}};
  }
  // 2·(D·d_inner + d_inner·D) per token for the projections; the gate product silu(g)·m is one
  // multiply per channel, counted as a multiply-add ("gate"), d_inner per token.
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return step_flops(context.d_model, static_cast<double>(tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t) const override {
    return step_flops(context.d_model, 1.0);
  }
  std::uint64_t cache_split_heads() const override { return 1; }
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    bound.set("d_inner", static_cast<std::int64_t>(d_inner_));
    return bound;
  }

 private:
  FlopCounts step_flops(std::uint64_t d_model, double tokens) const {
    FlopCounts flops = projection_flops(params({d_model}), tokens);
    add_macs(flops, "gate", static_cast<double>(d_inner_) * tokens);
    return flops;
  }
  std::uint64_t d_inner_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  return std::make_unique<Gmu>(values.positive("d_inner"));
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"d_inner", positive, FieldRole::width, kRequired, "channels",
       "memory width: the d_inner of the Mamba layer whose SSM output it gates"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"gmu",
          "gated memory unit (SambaY): out_proj(silu(in_proj(x)) ⊙ m), m an earlier SSM output",
          &fields(),
          &from_fields,
          {"none: the memory is an earlier layer's SSM output of the same token"},
          {"direct"},
          {{"gmu", "GMU", "gated memory unit"}},
          &facet()};
}

}  // namespace attnsim::gmu
