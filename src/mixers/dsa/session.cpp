// The reference facet of DSA (mixers-spec §3): the indexer's keys and the main attention's cache
// grow together; each step selects the top-k visible keys per query and attends to them, masked
// (V3.2 prefill) or gathered (the cost model's count). Over MLA the prefill runs the naive form
// and decode the absorbed one, as the cost model counts them. A layer with a shared indexer
// runs none: it attends to the `topk_indices` input, an earlier layer's selection.
#include "mixers/dsa/session.h"

#include <string>

#include "core/precision.h"
#include "mixers/dsa/reference.h"
#include "mixers/mla/session.h"

namespace attnsim::dsa {

using namespace reference;

namespace {
bool over_mla(const Binding& bound) { return bound.text_or("attention", "generic") == "mla"; }

// `indexer_dtype` if given, else the run's precision (README "Indexer precision").
Precision indexer_precision(const Binding& bound, Precision run) {
  const std::string dtype = bound.text_or("indexer_dtype", "");
  return dtype.empty() ? run : precision_named("indexer_dtype", dtype);
}

Signature signature(const Binding& bound) {
  const bool mla = over_mla(bound);
  Signature s;
  const bool shared = bound.flag_or("shared", false);
  if (!shared)
    s.tensors = {{"index_q", "B,Tq,HI,dI"}, {"index_k", "B,Tk,dI"}, {"index_w", "B,Tq,HI"}};
  s.tensors.push_back({"topk_indices", "B,Tq,topk", Feed::step, Domain::positions, 0, 0, true});
  if (mla) {
    const auto specs = mla::input_specs();
    s.tensors.insert(s.tensors.end(), specs.begin(), specs.end());
    s.scalars = mla::scalar_specs();
  } else {
    s.tensors.insert(s.tensors.end(),
                     {{"q", "B,Tq,H,D"},
                      {"k", "B,Tk,Hkv,D"},
                      {"v", "B,Tk,Hkv,Dv"},
                      {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true},
                      {"k_positions", "Tk", Feed::step, Domain::positions, 0, 0, true}});
    s.scalars = {{"scale", ScalarType::number}, {"rope_theta", ScalarType::number}};
  }
  s.scalars.insert(s.scalars.end(), {{"attention", ScalarType::text, {"generic", "mla"}},
                                     {"shared", ScalarType::flag},
                                     {"topk", ScalarType::size},
                                     {"index_scale", ScalarType::number},
                                     {"weight_scale", ScalarType::number},
                                     {"index_rope_dim", ScalarType::size},
                                     {"index_rope_style", ScalarType::text, {"half"}},
                                     {"index_layout", ScalarType::text, {"rope_first"}}});
  if (!shared) s.scalars.push_back({"indexer_dtype", ScalarType::text, {"float32", "float64"}});
  const std::string v = mla ? "dv" : "Dv";
  s.outputs = {{"o", "B,Tq,H," + v},
               {"lse", "B,Tq,H"},
               {"index_q_rot", "B,Tq,HI,dI"},
               {"index_k_rot", "B,Tk,dI"},
               {"index_scores", "B,Tq,Tk"}};
  return s;
}

class DsaSession final : public Session {
 public:
  DsaSession(const Binding& bound, const SessionOptions& options)
      : mla_(over_mla(bound)), shared_(bound.flag_or("shared", false)) {
    const bool gathered = form_index(options.form, {"masked", "gathered"}) == 1;
    indexer_.topk = bound.optional_size("topk").value_or(indexer_.topk);
    indexer_.index_scale = bound.number("index_scale");
    indexer_.weight_scale = bound.number("weight_scale");
    indexer_.rope_dim = bound.optional_size("index_rope_dim").value_or(0);
    indexer_.rope_theta = bound.number("rope_theta").value_or(indexer_.rope_theta);
    if (options.query_block > 0) indexer_.query_block = options.query_block;
    indexer_.precision = indexer_precision(bound, options.precision);
    latent_options_ =
        mla::options_of(bound, {"", options.precision, options.query_block, false, false});
    latent_options_.gather_selected_keys = gathered;
    attention_.scale = bound.number("scale");
    attention_.precision = options.precision;
    attention_.gather_selected_keys = gathered;
    if (options.query_block > 0) attention_.query_block = options.query_block;
  }
  Step prefill(const Tensors& inputs) override {
    if (mla_) latent_.set_weights(inputs);
    return run(inputs, true);
  }
  Step decode(const Tensors& inputs) override { return run(inputs, false); }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept;
    if (mla_)
      kept.push_back({"c_kv+k_rope", CacheRole::kv, latent_.elements(), latent_.tokens()});
    else
      kept.push_back({"k+v", CacheRole::kv, static_cast<std::int64_t>(k_.size() + v_.size()),
                      static_cast<std::int64_t>(cache_.positions.size())});
    if (!shared_)
      kept.push_back({"indexer keys", CacheRole::kv, static_cast<std::int64_t>(index_k_.size()),
                      static_cast<std::int64_t>(index_cache_.positions.size())});
    return kept;
  }

 private:
  Step run(const Tensors& inputs, bool prefill) {
    IndexerInputs indexer;
    if (!shared_) {
      const Tensor& index_q = input(inputs, "index_q");
      index_cache_.append({&input(inputs, "index_k")}, positions(inputs, "k_positions"));
      indexer = {index_q.borrowed(), index_k_.borrowed(), input(inputs, "index_w").borrowed(),
                 index_cache_.query_positions(index_q.dim(1), positions(inputs, "q_positions")),
                 index_cache_.positions};
    }
    const IndexTensor* reused = inputs.find_ints("topk_indices");
    ATTNSIM_ASSERT(shared_ == (reused != nullptr), "a shared indexer reads a selection");
    Result r;
    if (mla_) {
      mla::Options options = latent_options_;
      options.form = prefill ? mla::Form::naive : mla::Form::absorbed;
      options.selected_keys = reused;
      mla::Inputs in = latent_.step(inputs);
      if (shared_) {
        auto a = mla::run(in, options);
        r.o = std::move(a.o), r.lse = std::move(a.lse), r.counts = std::move(a.counts);
      } else {
        r = run_on_mla(indexer, indexer_, std::move(in), options);  // moved views stay views
      }
    } else {
      const Tensor& q = input(inputs, "q");
      cache_.append({&input(inputs, "k"), &input(inputs, "v")}, positions(inputs, "k_positions"));
      // Views of the step's queries and of the cache (read in place, not copied).
      softmax_attn::Inputs in{q.borrowed(), k_.borrowed(), v_.borrowed(),
                              cache_.query_positions(q.dim(1), positions(inputs, "q_positions")),
                              cache_.positions};
      softmax_attn::Options options = attention_;
      options.selected_keys = reused;
      if (shared_) {
        auto a = softmax_attn::run(in, options);
        r.o = std::move(a.o), r.lse = std::move(a.lse), r.counts = std::move(a.counts);
      } else {
        r = run_on_attention(indexer, indexer_, std::move(in), options);
      }
    }
    Step step{{}, std::move(r.counts)};
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("lse", std::move(r.lse));
    if (shared_) return step;
    step.outputs.add("index_q_rot", std::move(r.selection.index_q_rot));
    step.outputs.add("index_k_rot", std::move(r.selection.index_k_rot));
    step.outputs.add("index_scores", std::move(r.selection.index_scores));
    step.outputs.add("topk_indices", std::move(r.selection.topk_indices));
    step.outputs.add("selected", std::move(r.selection.selected));
    return step;
  }

  bool mla_, shared_;
  IndexerOptions indexer_;
  mla::Options latent_options_;
  softmax_attn::Options attention_;
  Tensor index_k_, k_, v_;
  softmax_attn::KvHistory index_cache_{{&index_k_}, {}};
  softmax_attn::KvHistory cache_{{&k_, &v_}, {}};
  mla::LatentHistory latent_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<DsaSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "gathered",
      "{kind: dsa, attention: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 6}, "
      "indexer: {n_heads: 3, head_dim: 4, topk: 3}}",
      "{kind: dsa, attention: {kind: softmax_attn, n_heads: 16, n_kv_heads: 16, head_dim: 128}, "
      "indexer: {n_heads: 16, head_dim: 128, topk: 2048}}",
      "masked",
      ""};
  return facet;
}

}  // namespace attnsim::dsa
