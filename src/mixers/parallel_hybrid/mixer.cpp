// A parallel hybrid layer composes two registered mixers; its cache is the union of theirs.
#include "mixers/parallel_hybrid/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/parallel_hybrid/session.h"

namespace attnsim::parallel_hybrid {

namespace {
// How the two branches' outputs reach the residual stream. `separate` (Falcon-H1): each branch
// has its own output projection back to D and the results are summed. `norm_average` (Hymba,
// HymbaBlock in NVIDIA's modeling_hymba.py): the attention branch has no o_proj; its Hq·Dv
// outputs and the SSM's d_inner outputs are RMS-normed apart (pre_avg_layernorm1/2), averaged,
// and the SSM's out_proj maps the average back to D. Hymba sets Dv = d_inner / Hq so the two
// widths agree; they are not required to (simulate's scaled-down instances break the equality,
// and each norm is counted at its own branch's width).
enum class Fusion { separate, norm_average };

// The width W of a branch's output projection `name` (W × D weights): its count at D = 1.
Count output_width(const Mixer& branch, std::string_view name) {
  for (const WeightTensor& tensor : branch.weight_tensors({1}))
    if (tensor.name == name) return tensor.count;
  return 0;
}

class ParallelHybrid final : public Mixer {
 public:
  ParallelHybrid(std::unique_ptr<Mixer> attention, std::unique_ptr<Mixer> ssm, Fusion fusion)
      : attention_(std::move(attention)), ssm_(std::move(ssm)), fusion_(fusion) {}
  std::string_view kind() const override { return "parallel_hybrid"; }
  std::string describe() const override {
    return fmt::format("[{}: {}] ‖ [{}: {}]{}", attention_->kind(), attention_->describe(),
                       ssm_->kind(), ssm_->describe(),
                       fusion_ == Fusion::norm_average ? " → norm-average → out_proj" : "");
  }
  std::vector<CacheTerm> cache_terms() const override {
    std::vector<CacheTerm> terms = attention_->cache_terms();
    for (CacheTerm term : ssm_->cache_terms()) terms.push_back(std::move(term));
    return terms;
  }
  // As full attention, the layer keeps its attention heads and drops the SSM branch.
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    return attention_->full_attention_equivalent();
  }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<ParallelHybrid>(attention_->clone(), ssm_->clone(), fusion_);
  }
  // Reading an earlier layer's KV (Hymba's kv_reuse_group): the attention branch reads it, the
  // SSM branch keeps its own state.
  std::unique_ptr<Mixer> reading_shared_kv(SharedKvWeights kv_weights) const override {
    std::unique_ptr<Mixer> reader = attention_->reading_shared_kv(kv_weights);
    if (!reader) return nullptr;
    return std::make_unique<ParallelHybrid>(std::move(reader), ssm_->clone(), fusion_);
  }
  // Both branches' weights and work, summed per category (they read the same normed input).
  ParamCounts params(const ParamContext& context) const override {
    if (fusion_ == Fusion::norm_average) return params_by_component(weight_tensors(context));
    ParamCounts params = attention_->params(context);
    for (const auto& [category, count] : ssm_->params(context)) params[category] += count;
    return params;
  }
  // Separate outputs: one entry per component (the branches' names could collide). Norm-average:
  // both branches' tensors under their own names without the attention's o_proj, and the two
  // norms of the fused width. (Hymba's checkpoint stores q, k, v and the SSM's x and gate as one
  // in_proj.weight: the same weights.)
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    if (fusion_ == Fusion::separate) return Mixer::weight_tensors(context);
    std::vector<WeightTensor> tensors;
    for (WeightTensor& tensor : attention_->weight_tensors(context))
      if (tensor.name != "o_proj.weight" && tensor.name != "o_proj.bias")
        tensors.push_back(std::move(tensor));
    for (WeightTensor& tensor : ssm_->weight_tensors(context)) tensors.push_back(std::move(tensor));
    tensors.push_back({"pre_avg_layernorm1.weight", "norms",
                       output_width(*attention_, "o_proj.weight") * Count{1}});
    tensors.push_back(
        {"pre_avg_layernorm2.weight", "norms", output_width(*ssm_, "out_proj.weight") * Count{1}});
    return tensors;
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return combined(without_o_proj(attention_->prefill_flops(context, tokens), context, tokens),
                    ssm_->prefill_flops(context, tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return combined(without_o_proj(attention_->decode_flops(context, context_tokens), context, 1),
                    ssm_->decode_flops(context, context_tokens));
  }
  // The attention branch bounds how far the KV cache splits (the SSM state splits further).
  std::uint64_t cache_split_heads() const override { return attention_->cache_split_heads(); }
  std::optional<reference::Binding> reference_binding() const override {
    return binding(*attention_, *ssm_);
  }

 private:
  // Under norm_average the attention branch runs no o_proj: 2 FLOPs per weight per token less.
  FlopCounts without_o_proj(FlopCounts flops, const FlopContext& context,
                            std::uint64_t tokens) const {
    if (fusion_ == Fusion::separate) return flops;
    const double o_weights = static_cast<double>(output_width(*attention_, "o_proj.weight")) *
                             static_cast<double>(context.d_model);
    flops["projections"] -= 2.0 * o_weights * static_cast<double>(tokens);
    return flops;
  }
  std::unique_ptr<Mixer> attention_;
  std::unique_ptr<Mixer> ssm_;
  Fusion fusion_ = Fusion::separate;
};

std::unique_ptr<Mixer> read_branch(const FieldValues& values, std::string_view key,
                                   bool must_be_attention) {
  config::MapReader branch = values.nested(key, "a map describing one branch");
  std::unique_ptr<Mixer> mixer = make_mixer(branch);
  const bool is_attention = mixer->full_attention_equivalent() != nullptr;
  if (is_attention != must_be_attention)
    throw UserError(branch.node().where, branch.path(),
                    must_be_attention ? "an attention mixer" : "a recurrent (SSM/linear) mixer",
                    fmt::format("kind '{}'", mixer->kind()));
  return mixer;
}

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  auto attention = read_branch(values, "attention", true);
  auto ssm = read_branch(values, "ssm", false);
  const Fusion fusion =
      values.choice("fusion") == "norm_average" ? Fusion::norm_average : Fusion::separate;
  if (fusion == Fusion::norm_average && output_width(*ssm, "out_proj.weight") == 0)
    values.reject("fusion", "an SSM branch with an out_proj (mamba1, mamba2)",
                  fmt::format("kind '{}'", ssm->kind()));
  return std::make_unique<ParallelHybrid>(std::move(attention), std::move(ssm), fusion);
}

const FieldTable& fields() {
  static const FieldTable table = {
      {"attention", FieldType::mixer, FieldRole::none, kRequired, "",
       "the attention branch (an attention kind)"},
      {"ssm", FieldType::mixer, FieldRole::none, kRequired, "",
       "the recurrent branch (an SSM/linear kind)"},
      {"fusion",
       FieldType::choice,
       FieldRole::none,
       "separate",
       "",
       "separate: each branch projects back to D and the two are summed (Falcon-H1); "
       "norm_average: the attention has no o_proj, both outputs are RMS-normed, averaged and "
       "go through the SSM's out_proj (Hymba, whose Hq·Dv equals the SSM's inner width)",
       "",
       {"separate", "norm_average"}},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"parallel_hybrid",
          "attention and SSM heads side by side in one layer (Falcon-H1; Hymba's fused output)",
          &fields(),
          &from_fields,
          {"the attention branch's terms and the SSM branch's terms"},
          {},
          {{"parallel_hybrid", "parallel attention + SSM", "parallel attention + SSM"}},
          &facet()};
}

}  // namespace attnsim::parallel_hybrid
