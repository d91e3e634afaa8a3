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
// A layer reading another layer's KV cache (`reads_kv`, a YOCO cross-decoder layer) is given
// that layer's attended keys, values and positions with every step (Session::attended_kv), so
// it draws no k, v of its own.
Signature signature(const Binding& bound) {
  const Domain uniform = Domain::uniform;
  Signature signature{{{"q", "B,Tq,H,D"},
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
  if (bound.flag_or("reads_kv", false))
    std::erase_if(signature.tensors, [](const TensorSpec& spec) {
      return spec.name == "k" || spec.name == "v" || spec.name == "k_positions";
    });
  return signature;
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
    reads_kv_ = bound.flag_or("reads_kv", false);
    shares_kv_ = options.shares_kv;
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
    if (!reads_kv_)
      cache_.append({&input(inputs, "k"), &input(inputs, "v")}, positions(inputs, "k_positions"));
    const Tensor& k = reads_kv_ ? input(inputs, "k") : k_;
    const Tensor& v = reads_kv_ ? input(inputs, "v") : v_;
    const std::vector<std::int64_t> k_positions =
        reads_kv_ ? positions(inputs, "k_positions") : cache_.positions;
    std::vector<std::int64_t> q_positions = positions(inputs, "q_positions");
    if (q_positions.empty() && static_cast<std::int64_t>(k_positions.size()) >= q.dim(1))
      q_positions.assign(k_positions.end() - q.dim(1), k_positions.end());
    // q, k and v read in place (views): they outlive run(), and a copy is three sequences more.
    auto r = run({q.borrowed(), k.borrowed(), v.borrowed(), lambda_q1_, lambda_k1_, lambda_q2_,
                  lambda_k2_, subln_weight_, q_positions, k_positions},
                 options_);
    if (shares_kv_) {  // what this step attended to, before the window trim
      attended_ = {};
      attended_.add("k", k_);
      attended_.add("v", v_);
      IndexTensor held({static_cast<std::int64_t>(cache_.positions.size())});
      held.data = cache_.positions;
      attended_.add("k_positions", std::move(held));
    }
    if (options_.window && !reads_kv_) cache_.trim(*options_.window);
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
    if (reads_kv_) return {};
    return {{"k+v", CacheRole::kv, static_cast<std::int64_t>(k_.size() + v_.size()),
             static_cast<std::int64_t>(cache_.positions.size())}};
  }

  Tensors attended_kv() const override { return attended_; }

 private:
  Options options_;
  bool reads_kv_ = false;
  bool shares_kv_ = false;
  Tensor lambda_q1_, lambda_k1_, lambda_q2_, lambda_k2_, subln_weight_, k_, v_;
  softmax_attn::KvHistory cache_{{&k_, &v_}, {}};
  Tensors attended_;
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
