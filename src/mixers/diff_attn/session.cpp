// The reference facet of differential attention (mixers-spec-new §B): each step appends its keys
// and values to the cache, runs its queries against the whole cache (bottom-right aligned) in
// both maps, then trims the cache to the window; λ's four vectors and the subln weight once.
#include "mixers/diff_attn/session.h"

#include "mixers/diff_attn/reference.h"
#include "mixers/mixer.h"
#include "mixers/softmax_attn/session.h"

namespace attnsim::diff_attn {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  const Domain uniform = Domain::uniform;
  return {{{"q", "B,Tq,H,D"},
           {"k", "B,Tk,Hkv,D"},
           {"v", "B,Tk,Hkv,D"},
           {"lambda_q1", "D", Feed::layer, uniform, -0.1, 0.1},
           {"lambda_k1", "D", Feed::layer, uniform, -0.1, 0.1},
           {"lambda_q2", "D", Feed::layer, uniform, -0.1, 0.1},
           {"lambda_k2", "D", Feed::layer, uniform, -0.1, 0.1},
           {"subln_weight", "2*D", Feed::layer, uniform, 0.5, 1.5},
           {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true},
           {"k_positions", "Tk", Feed::step, Domain::positions, 0, 0, true}},
          {{"window", ScalarType::size},
           {"depth", ScalarType::number},
           {"subln_eps", ScalarType::number},
           {"rope_theta", ScalarType::number},
           {"rope_style", ScalarType::text, {"interleaved", "half"}}},
          {{"o", "B,Tq,H,D"},
           {"attn1", "B,Tq,H/2,2*D"},
           {"attn2", "B,Tq,H/2,2*D"},
           {"lse1", "B,Tq,H/2"},
           {"lse2", "B,Tq,H/2"},
           {"lambda_full", "1"}}};
}

class DiffSession final : public Session {
 public:
  DiffSession(const Binding& bound, const SessionOptions& options) {
    options_.form =
        form_index(options.form, {"two_pass", "combined"}) == 0 ? Form::two_pass : Form::combined;
    options_.window = bound.optional_size("window");
    options_.depth = static_cast<std::int64_t>(bound.number("depth").value_or(0));
    options_.subln_eps = bound.number("subln_eps").value_or(options_.subln_eps);
    options_.rope_theta = bound.number("rope_theta");
    options_.rope_style = bound.text_or("rope_style", "interleaved") == "half"
                              ? mixers::RopeStyle::half_split
                              : mixers::RopeStyle::interleaved;
    options_.intermediates = true;
    options_.precision = options.precision;
    if (options.query_block > 0) options_.query_block = options.query_block;
  }
  Step prefill(const Tensors& inputs) override {
    for (auto [tensor, name] : {std::pair{&lambda_q1_, "lambda_q1"},
                                {&lambda_k1_, "lambda_k1"},
                                {&lambda_q2_, "lambda_q2"},
                                {&lambda_k2_, "lambda_k2"},
                                {&subln_weight_, "subln_weight"}})
      *tensor = input(inputs, name);
    return decode(inputs);
  }
  Step decode(const Tensors& inputs) override {
    const Tensor& q = input(inputs, "q");
    cache_.append({&input(inputs, "k"), &input(inputs, "v")}, positions(inputs, "k_positions"));
    auto r =
        run({q, k_, v_, lambda_q1_, lambda_k1_, lambda_q2_, lambda_k2_, subln_weight_,
             cache_.query_positions(q.dim(1), positions(inputs, "q_positions")), cache_.positions},
            options_);
    if (options_.window) cache_.trim(*options_.window);
    Step step{{}, std::move(r.counts)};
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("attn1", std::move(r.attn1));
    step.outputs.add("attn2", std::move(r.attn2));
    step.outputs.add("lse1", std::move(r.lse1));
    step.outputs.add("lse2", std::move(r.lse2));
    step.outputs.add("lambda_full", std::move(r.lambda_full));
    return step;
  }
  std::vector<Kept> kept() const override {
    return {{"k+v", CacheRole::kv, static_cast<std::int64_t>(k_.size() + v_.size()),
             static_cast<std::int64_t>(cache_.positions.size())}};
  }

 private:
  Options options_;
  Tensor lambda_q1_, lambda_k1_, lambda_q2_, lambda_k2_, subln_weight_, k_, v_;
  softmax_attn::KvHistory cache_{{&k_, &v_}, {}};
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<DiffSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "two_pass",
                           "{kind: diff_attn, n_heads: 2, n_kv_heads: 1, head_dim: 6, window: 5}",
                           "{kind: diff_attn, n_heads: 8, n_kv_heads: 8, head_dim: 128}",
                           "two_pass",
                           ""};
  return facet;
}

}  // namespace attnsim::diff_attn
