// The reference facet of gated attention (mixers-spec §4): per step, [q | gate] of the new
// tokens against the cached k and v (bottom-right aligned), q/k norm weights once.
#include "mixers/gated_attn/session.h"

#include "mixers/gated_attn/reference.h"
#include "mixers/softmax_attn/session.h"

namespace attnsim::gated_attn {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"q_and_gate", "B,Tq,Hq,2D"},
           {"k", "B,Tk,Hkv,D"},
           {"v", "B,Tk,Hkv,D"},
           {"q_norm_weight", "D", Feed::layer},
           {"k_norm_weight", "D", Feed::layer},
           {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true},
           {"k_positions", "Tk", Feed::step, Domain::positions, 0, 0, true}},
          {{"scale", ScalarType::number},
           {"window", ScalarType::size},
           {"rope_theta", ScalarType::number},
           {"partial_rotary_factor", ScalarType::number},
           {"eps", ScalarType::number}},
          {{"o", "B,Tq,Hq,D"},
           {"o_ungated", "B,Tq,Hq,D"},
           {"lse", "B,Tq,Hq"},
           {"q_rot", "B,Tq,Hq,D"},
           {"k_rot", "B,Tk,Hkv,D"}}};
}

class GatedSession final : public Session {
 public:
  GatedSession(const Binding& bound, const SessionOptions& options) {
    form_index(options.form, {"blocked"});
    options_.rope_theta = bound.number("rope_theta").value_or(options_.rope_theta);
    options_.partial_rotary_factor =
        bound.number("partial_rotary_factor").value_or(options_.partial_rotary_factor);
    options_.eps = bound.number("eps").value_or(options_.eps);
    options_.scale = bound.number("scale");
    options_.window = bound.optional_size("window");
    options_.precision = options.precision;
    if (options.query_block > 0) options_.query_block = options.query_block;
  }
  Step prefill(const Tensors& inputs) override {
    q_norm_ = input(inputs, "q_norm_weight");
    k_norm_ = input(inputs, "k_norm_weight");
    return decode(inputs);
  }
  Step decode(const Tensors& inputs) override {
    const Tensor& q = input(inputs, "q_and_gate");
    cache_.append({&input(inputs, "k"), &input(inputs, "v")}, positions(inputs, "k_positions"));
    // q, k and v read in place (views): they outlive run(), and a copy is three sequences more.
    auto r =
        run({q.borrowed(), k_.borrowed(), v_.borrowed(), q_norm_, k_norm_,
             cache_.query_positions(q.dim(1), positions(inputs, "q_positions")), cache_.positions},
            options_);
    if (options_.window) cache_.trim(*options_.window);
    Step step{{}, std::move(r.counts)};
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("o_ungated", std::move(r.o_ungated));
    step.outputs.add("lse", std::move(r.lse));
    step.outputs.add("q_rot", std::move(r.q_rot));
    step.outputs.add("k_rot", std::move(r.k_rot));
    return step;
  }
  std::vector<Kept> kept() const override {
    return {{"k+v", CacheRole::kv, static_cast<std::int64_t>(k_.size() + v_.size()),
             static_cast<std::int64_t>(cache_.positions.size())}};
  }

 private:
  Options options_;
  Tensor q_norm_, k_norm_, k_, v_;
  softmax_attn::KvHistory cache_{{&k_, &v_}, {}};
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<GatedSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "blocked",
                           "{kind: gated_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8, "
                           "partial_rotary_factor: 0.5}",
                           "{kind: gated_attn, n_heads: 16, n_kv_heads: 4, head_dim: 128}",
                           "blocked",
                           ""};
  return facet;
}

// RoPE is elementwise and not counted; the rotated width int(D·ρ) is rounded down to even so
// that any scaled D is accepted by the kernel.
std::optional<Binding> binding(const softmax_attn::AttentionShape& shape, double rotary_factor) {
  std::optional<Binding> bound = softmax_attn::binding(shape);
  if (!bound) return bound;
  const auto D = static_cast<std::int64_t>(shape.head_dim_k);
  const auto rotary = static_cast<std::int64_t>(static_cast<double>(D) * rotary_factor) / 2 * 2;
  bound->set("partial_rotary_factor", static_cast<double>(rotary) / static_cast<double>(D));
  return bound;
}

}  // namespace attnsim::gated_attn
