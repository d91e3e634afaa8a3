// The reference facet of lightning attention (mixers-spec §7): q, k, v per step, a decay per head
// (g_gamma, or the slopes of params.slopes for layer layer_idx of n_layers); the session carries
// the state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/lightning/session.h"

#include "core/error.h"
#include "mixers/common/recurrent_session.h"
#include "mixers/lightning/reference.h"

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

class LightningSession final : public mixers::RecurrentSession {
 public:
  LightningSession(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, {"chunked", "recurrent"}), 1),
        slopes_(bound.text_or("slopes", "")),
        layer_(static_cast<std::int64_t>(bound.number("layer_idx").value_or(0))),
        n_layers_(bound.optional_size("n_layers")) {
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.scale = bound.number("scale");
    options_.precision = options.precision;
  }
  std::vector<Kept> kept() const override {
    return {state("recurrent state", CacheRole::recurrent_state, {"initial_state"})};
  }

 private:
  // The decay per head: g_gamma, or the slopes of params.slopes.
  Tensor g_gamma(Tensors& inputs, std::int64_t H) const {
    if (inputs.find("g_gamma")) return take(inputs, "g_gamma");
    if (!n_layers_)
      throw UserError({}, "params.n_layers", "the layer count (with params.slopes)", "nothing");
    Tensor g({H});
    if (slopes_ == "minimax") g.data = minimax_slopes(H, layer_, *n_layers_);
    if (slopes_ == "ling") g.data = ling_slopes(H, layer_, *n_layers_);
    if (slopes_ == "fla") g.data = fla_slopes(H, layer_, *n_layers_);
    return g;
  }
  Step run(Tensors& inputs, std::size_t form) override {
    Options options = options_;
    options.form = form == 0 ? Form::chunked : Form::recurrent;
    Tensor g = g_gamma(inputs, input(inputs, "q").dim(2));
    auto r = lightning::run({take(inputs, "q"), take(inputs, "k"), take(inputs, "v"), std::move(g),
                             take(inputs, "initial_state")},
                            options);
    return emit(std::move(r.counts), std::move(r.o), std::move(r.final_state));
  }

  std::string slopes_;
  std::int64_t layer_;
  std::optional<std::int64_t> n_layers_;
  Options options_;
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
