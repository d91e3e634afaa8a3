// The reference facet of softmax attention (mixers-spec §1): each step appends its keys and
// values to the cache and runs its queries against the whole cache (bottom-right aligned), then
// trims the cache to the window.
#include "mixers/softmax_attn/session.h"

#include <algorithm>

#include "mixers/softmax_attn/reference.h"

namespace attnsim::softmax_attn {

using namespace reference;

void KvHistory::append(const std::vector<const Tensor*>& fresh, std::vector<std::int64_t> given) {
  for (std::size_t i = 0; i < tensors.size(); ++i) append_tokens(*tensors[i], *fresh[i]);
  if (given.empty()) {
    const std::int64_t start = positions.empty() ? 0 : positions.back() + 1;
    for (std::int64_t t = 0; t < fresh.front()->dim(1); ++t) given.push_back(start + t);
  }
  positions.insert(positions.end(), given.begin(), given.end());
}

std::vector<std::int64_t> KvHistory::query_positions(std::int64_t tokens,
                                                     std::vector<std::int64_t> given) const {
  if (!given.empty() || static_cast<std::int64_t>(positions.size()) < tokens) return given;
  return {positions.end() - tokens, positions.end()};
}

void KvHistory::trim(std::int64_t window) {
  const auto held = static_cast<std::int64_t>(positions.size());
  if (held <= window) return;
  for (Tensor* tensor : tensors) {
    const std::int64_t B = tensor->dim(0);
    const std::size_t row = tensor->size() / static_cast<std::size_t>(B * held);
    Tensor kept(tensor->shape);
    kept.shape[1] = window;
    kept.data.resize(static_cast<std::size_t>(B * window) * row);
    for (std::int64_t b = 0; b < B; ++b)
      std::copy_n(
          tensor->data.begin() + static_cast<std::ptrdiff_t>((b * held + held - window) * row),
          static_cast<std::ptrdiff_t>(window * row),
          kept.data.begin() + static_cast<std::ptrdiff_t>(b * window * row));
    *tensor = std::move(kept);
  }
  positions.erase(positions.begin(), positions.end() - window);
}

namespace {
// A layer reading another layer's KV cache (`reads_kv`) is given that layer's attended keys,
// values and their positions with every step (Session::attended_kv), so it draws only queries.
Signature signature(const Binding& bound) {
  if (bound.flag_or("reads_kv", false))
    return {{{"q", "B,Tq,Hq,D"}, {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true}},
            {{"scale", ScalarType::number}, {"window", ScalarType::size}},
            {{"o", "B,Tq,Hq,Dv"}, {"lse", "B,Tq,Hq"}}};
  return {{{"q", "B,Tq,Hq,D"},
           {"k", "B,Tk,Hkv,D"},
           {"v", "B,Tk,Hkv,Dv"},
           {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true},
           {"k_positions", "Tk", Feed::step, Domain::positions, 0, 0, true}},
          {{"scale", ScalarType::number}, {"window", ScalarType::size}},
          {{"o", "B,Tq,Hq,Dv"}, {"lse", "B,Tq,Hq"}}};
}

class AttentionSession final : public Session {
 public:
  AttentionSession(const Binding& bound, const SessionOptions& options) {
    form_index(options.form, {"blocked"});
    options_.scale = bound.number("scale");
    options_.window = bound.optional_size("window");
    options_.precision = options.precision;
    if (options.query_block > 0) options_.query_block = options.query_block;
    reads_kv_ = bound.flag_or("reads_kv", false);
    shares_kv_ = options.shares_kv;
  }
  Step prefill(const Tensors& inputs) override { return decode(inputs); }
  Step decode(const Tensors& inputs) override {
    const Tensor& q = input(inputs, "q");
    if (reads_kv_) return attend(q, input(inputs, "k"), input(inputs, "v"), inputs);
    cache_.append({&input(inputs, "k"), &input(inputs, "v")}, positions(inputs, "k_positions"));
    Step step = attend(q, k_, v_, inputs);
    if (shares_kv_) {
      attended_ = {};
      attended_.add("k", k_);
      attended_.add("v", v_);
      attended_.add("k_positions",
                    IndexTensor({static_cast<std::int64_t>(cache_.positions.size())}));
      attended_.ints.back().second.data = cache_.positions;
    }
    if (options_.window) cache_.trim(*options_.window);
    return step;
  }
  std::vector<Kept> kept() const override {
    if (reads_kv_) return {};
    return {{"k+v", CacheRole::kv, static_cast<std::int64_t>(k_.size() + v_.size()),
             static_cast<std::int64_t>(cache_.positions.size())}};
  }
  Tensors attended_kv() const override { return attended_; }

 private:
  // q against k, v (bottom-right aligned unless the inputs give positions).
  Step attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensors& inputs) {
    std::vector<std::int64_t> k_positions =
        reads_kv_ ? positions(inputs, "k_positions") : cache_.positions;
    std::vector<std::int64_t> q_positions = positions(inputs, "q_positions");
    if (q_positions.empty() && static_cast<std::int64_t>(k_positions.size()) >= q.dim(1))
      q_positions.assign(k_positions.end() - q.dim(1), k_positions.end());
    // q, k and v read in place (views): they outlive run(), and a copy is three sequences more.
    auto result =
        run({q.borrowed(), k.borrowed(), v.borrowed(), q_positions, k_positions}, options_);
    Step step{{}, std::move(result.counts)};
    step.outputs.add("o", std::move(result.o));
    step.outputs.add("lse", std::move(result.lse));
    return step;
  }

  Options options_;
  bool reads_kv_ = false;
  bool shares_kv_ = false;
  Tensor k_, v_;
  KvHistory cache_{{&k_, &v_}, {}};
  Tensors attended_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<AttentionSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "blocked",
      "{kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim_k: 6, head_dim_v: 5, window: 5}",
      "{kind: softmax_attn, n_heads: 16, n_kv_heads: 16, head_dim: 128}",
      "blocked",
      ""};
  return facet;
}

std::optional<Binding> binding(const AttentionShape& shape) {
  if (shape.chunk) return std::nullopt;  // chunked local attention: no reference form
  Binding bound;
  bound.set("Hq", static_cast<std::int64_t>(shape.n_heads));
  bound.set("Hkv", static_cast<std::int64_t>(shape.n_kv_heads));
  bound.set("D", static_cast<std::int64_t>(shape.head_dim_k));
  bound.set("Dv", static_cast<std::int64_t>(shape.head_dim_v));
  if (shape.window) bound.set("window", static_cast<std::int64_t>(*shape.window));
  return bound;
}

}  // namespace attnsim::softmax_attn
