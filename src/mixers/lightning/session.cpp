// The reference facet of lightning attention (mixers-spec §7): q, k, v per step, a decay per head
// (g_gamma, or the slopes of params.slopes for layer layer_idx of n_layers); the session carries
// the state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/lightning/session.h"

#include "core/error.h"
#include "mixers/lightning/reference.h"
#include "mixers/mixer.h"

namespace attnsim::lightning {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"q", "B,T,H,K"},
           {"k", "B,T,H,K"},
           {"v", "B,T,H,V"},
           {"g_gamma", "H", Feed::layer, Domain::uniform, -0.5, -0.01, false, "slopes"},
           {"initial_state", "B,H,K,V", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"scale", ScalarType::number},
           {"chunk_size", ScalarType::size},
           {"slopes", ScalarType::text, {"minimax", "ling", "fla"}},
           {"layer_idx", ScalarType::number},
           {"n_layers", ScalarType::size}},
          {{"o", "B,T,H,V"}, {"final_state", "B,H,K,V"}}};
}

class LightningSession final : public Session {
 public:
  LightningSession(const Binding& bound, const SessionOptions& options)
      : slopes_(bound.text_or("slopes", "")),
        layer_(static_cast<std::int64_t>(bound.number("layer_idx").value_or(0))),
        n_layers_(bound.optional_size("n_layers")) {
    options_.form =
        form_index(options.form, {"chunked", "recurrent"}) == 0 ? Form::chunked : Form::recurrent;
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.scale = bound.number("scale");
    options_.precision = options.precision;
  }
  Step prefill(const Tensors& inputs) override {
    g_gamma_ =
        inputs.find("g_gamma") ? input(inputs, "g_gamma") : slopes(input(inputs, "q").dim(2));
    state_ = inputs.get("initial_state");
    return run(inputs, options_.form);
  }
  Step decode(const Tensors& inputs) override { return run(inputs, Form::recurrent); }
  std::vector<Kept> kept() const override {
    return {{"recurrent state", CacheRole::recurrent_state,
             static_cast<std::int64_t>(state_.size()), 0}};
  }

 private:
  Tensor slopes(std::int64_t H) const {
    if (!n_layers_)
      throw UserError({}, "params.n_layers", "the layer count (with params.slopes)", "nothing");
    Tensor g({H});
    if (slopes_ == "minimax") g.data = minimax_slopes(H, layer_, *n_layers_);
    if (slopes_ == "ling") g.data = ling_slopes(H, layer_, *n_layers_);
    if (slopes_ == "fla") g.data = fla_slopes(H, layer_, *n_layers_);
    return g;
  }
  Step run(const Tensors& inputs, Form form) {
    Options options = options_;
    options.form = form;
    auto r = lightning::run(
        {input(inputs, "q"), input(inputs, "k"), input(inputs, "v"), g_gamma_, state_}, options);
    state_ = r.final_state;
    Step step{{}, std::move(r.counts)};
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("final_state", std::move(r.final_state));
    return step;
  }

  std::string slopes_;
  std::int64_t layer_;
  std::optional<std::int64_t> n_layers_;
  Options options_;
  Tensor g_gamma_, state_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<LightningSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "chunked",
                           "{kind: lightning, n_heads: 3, head_dim: 6, slopes: minimax}",
                           "{kind: lightning, n_heads: 16, head_dim: 128, slopes: minimax}",
                           "chunked",
                           ""};
  return facet;
}

}  // namespace attnsim::lightning
