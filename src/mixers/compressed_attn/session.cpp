// The reference facet of DeepSeek V4's compressed attention: the step inputs are what model.py
// projects from x (q, the window kv, the compressors' wkv/wgate rows, the indexer's queries and
// head weights); the session keeps the window, the compressed entries, the indexer keys and the
// compressors' fp32-style states, named as the mixer's cache terms.
#include "mixers/compressed_attn/session.h"

#include <optional>
#include <string>

#include "core/precision.h"
#include "mixers/compressed_attn/reference.h"
#include "mixers/mixer.h"

namespace attnsim::compressed_attn {

using namespace reference;

namespace {
Signature signature(const Binding& bound) {
  Signature s;
  s.tensors = {{"q", "B,T,H,D"}, {"kv", "B,T,D"}, {"attn_sink", "H", Feed::layer}};
  if (bound.optional_size("compress_ratio"))
    s.tensors.insert(s.tensors.end(), {{"comp_kv", "B,T,C"},
                                       {"comp_score", "B,T,C"},
                                       {"comp_ape", "m,C", Feed::layer},
                                       {"comp_norm", "D", Feed::layer}});
  if (bound.optional_size("topk"))
    s.tensors.insert(s.tensors.end(), {{"index_q", "B,T,HI,dI"},
                                       {"index_w", "B,T,HI"},
                                       {"index_kv", "B,T,CI"},
                                       {"index_score", "B,T,CI"},
                                       {"index_ape", "m,CI", Feed::layer},
                                       {"index_norm", "dI", Feed::layer}});
  s.scalars = {{"window", ScalarType::size},
               {"compress_ratio", ScalarType::size},
               {"overlap", ScalarType::flag},
               {"topk", ScalarType::size},
               {"rope_dim", ScalarType::size},
               {"scale", ScalarType::number},
               {"index_scale", ScalarType::number},
               {"rope_theta", ScalarType::number},
               {"eps", ScalarType::number},
               {"indexer_dtype", ScalarType::text, {"float32", "float64"}}};
  s.outputs = {{"o", "B,T,H,D"}, {"lse", "B,T,H"}};
  return s;
}

Options options_of(const Binding& bound, const SessionOptions& session) {
  Options o;
  o.window = bound.optional_size("window");
  o.compress_ratio = bound.optional_size("compress_ratio").value_or(0);
  o.overlap = bound.flag_or("overlap", false);
  o.topk = bound.optional_size("topk").value_or(0);
  o.rope_dim = bound.optional_size("rope_dim").value_or(0);
  o.scale = bound.number("scale");
  o.index_scale = bound.number("index_scale");
  o.rope_theta = bound.number("rope_theta").value_or(o.rope_theta);
  o.eps = bound.number("eps").value_or(o.eps);
  o.form =
      form_index(session.form, {"parallel", "recurrent"}) == 0 ? Form::parallel : Form::recurrent;
  o.precision = session.precision;
  const std::string indexer_dtype = bound.text_or("indexer_dtype", "");
  if (!indexer_dtype.empty()) o.indexer_precision = precision_named("indexer_dtype", indexer_dtype);
  return o;
}

class CompressedSession final : public Session {
 public:
  CompressedSession(const Binding& bound, const SessionOptions& options)
      : options_(options_of(bound, options)) {}
  Step prefill(const Tensors& inputs) override {
    Layer layer{inputs.get("attn_sink"),
                {inputs.get("comp_ape"), inputs.get("comp_norm")},
                {inputs.get("index_ape"), inputs.get("index_norm")}};
    kernel_.emplace(options_, std::move(layer));
    return decode(inputs);
  }
  Step decode(const Tensors& inputs) override {
    const StepInputs in{input(inputs, "q"),       input(inputs, "kv"),      inputs.get("comp_kv"),
                        inputs.get("comp_score"), inputs.get("index_q"),    inputs.get("index_w"),
                        inputs.get("index_kv"),   inputs.get("index_score")};
    StepResult r = kernel_->step(in);
    Step step{{}, std::move(r.counts)};
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("lse", std::move(r.lse));
    if (options_.topk > 0) step.outputs.add("topk_entries", std::move(r.topk_entries));
    return step;
  }
  std::vector<Kept> kept() const override {
    const KeptSizes k = kernel_->kept();
    std::vector<Kept> kept{{"window k=v", CacheRole::kv, k.window, k.window_tokens}};
    if (options_.compress_ratio == 0) return kept;
    kept.push_back({"compressed k=v", CacheRole::kv, k.entries, k.n_entries});
    kept.push_back({"compressor state", CacheRole::recurrent_state, k.state, 0});
    if (options_.topk == 0) return kept;
    kept.push_back({"indexer keys", CacheRole::kv, k.index_keys, k.n_entries});
    kept.push_back({"indexer compressor state", CacheRole::recurrent_state, k.index_state, 0});
    return kept;
  }

 private:
  Options options_;
  std::optional<Kernel> kernel_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<CompressedSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "parallel",
      "{kind: compressed_attn, n_heads: 4, head_dim: 8, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 2, window: 3, compress_ratio: 2, compressor_overlap: true, indexer_heads: 3, "
      "indexer_head_dim: 4, topk: 2, rope_head_dim: 4}",
      "{kind: compressed_attn, n_heads: 16, head_dim: 128, q_lora_rank: 1024, o_lora_rank: 1024, "
      "o_groups: 8, window: 128, compress_ratio: 4, compressor_overlap: true, indexer_heads: 16, "
      "indexer_head_dim: 128, topk: 512}",
      "parallel",
      ""};
  return facet;
}

}  // namespace attnsim::compressed_attn
