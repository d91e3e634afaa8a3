// A parallel hybrid layer composes two registered mixers; its cache is the union of theirs.
#include "mixers/parallel_hybrid/mixer.h"

#include <fmt/format.h>

#include "mixers/parallel_hybrid/session.h"

namespace attnsim::parallel_hybrid {

namespace {
class ParallelHybrid final : public Mixer {
 public:
  ParallelHybrid(std::unique_ptr<Mixer> attention, std::unique_ptr<Mixer> ssm)
      : attention_(std::move(attention)), ssm_(std::move(ssm)) {}
  std::string_view kind() const override { return "parallel_hybrid"; }
  std::string describe() const override {
    return fmt::format("[{}: {}] ‖ [{}: {}]", attention_->kind(), attention_->describe(),
                       ssm_->kind(), ssm_->describe());
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
    return std::make_unique<ParallelHybrid>(attention_->clone(), ssm_->clone());
  }
  // Reading an earlier layer's KV (Hymba's kv_reuse_group): the attention branch reads it, the
  // SSM branch keeps its own state.
  std::unique_ptr<Mixer> reading_shared_kv(SharedKvWeights kv_weights) const override {
    std::unique_ptr<Mixer> reader = attention_->reading_shared_kv(kv_weights);
    if (!reader) return nullptr;
    return std::make_unique<ParallelHybrid>(std::move(reader), ssm_->clone());
  }
  // Both branches' weights and work, summed per category (they read the same normed input).
  ParamCounts params(const ParamContext& context) const override {
    ParamCounts params = attention_->params(context);
    for (const auto& [category, count] : ssm_->params(context)) params[category] += count;
    return params;
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return combined(attention_->prefill_flops(context, tokens),
                    ssm_->prefill_flops(context, tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return combined(attention_->decode_flops(context, context_tokens),
                    ssm_->decode_flops(context, context_tokens));
  }
  // The attention branch bounds how far the KV cache splits (the SSM state splits further).
  std::uint64_t cache_split_heads() const override { return attention_->cache_split_heads(); }
  std::optional<reference::Binding> reference_binding() const override {
    return binding(*attention_, *ssm_);
  }

 private:
  std::unique_ptr<Mixer> attention_;
  std::unique_ptr<Mixer> ssm_;
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
  return std::make_unique<ParallelHybrid>(std::move(attention), std::move(ssm));
}

const FieldTable& fields() {
  static const FieldTable table = {
      {"attention", FieldType::mixer, FieldRole::none, kRequired, "",
       "the attention branch (an attention kind)"},
      {"ssm", FieldType::mixer, FieldRole::none, kRequired, "",
       "the recurrent branch (an SSM/linear kind)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"parallel_hybrid",
          "attention and SSM heads side by side in one layer (Falcon-H1)",
          &fields(),
          &from_fields,
          {"the attention branch's terms and the SSM branch's terms"},
          {},
          {{"parallel_hybrid", "parallel attention + SSM", "parallel attention + SSM"}},
          &facet()};
}

}  // namespace attnsim::parallel_hybrid
