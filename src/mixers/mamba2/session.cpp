// The reference facet of the Mamba-2 SSD core (mixers-spec §8): x, dt, B and C per step (x, B, C
// through the short conv when the instance has one), dt_bias, A and D once; the session carries
// the SSM state and the conv state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/mamba2/session.h"

#include <tuple>

#include "mixers/common/recurrent_session.h"
#include "mixers/mamba2/reference.h"

namespace attnsim::mamba2 {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"x", "B,T,H,P"},
           {"dt", "B,T,H"},
           {"dt_bias", "H", Feed::layer},
           {"A", "H", Feed::layer, Domain::uniform, -1.0, -0.1},
           {"Bm", "B,T,G,N"},
           {"Cm", "B,T,G,N"},
           {"D", "H", Feed::layer},
           // With conv weights, x, Bm and Cm are the projections before the conv (mixers-spec §8).
           {"conv_weight", "H*P+2G*N,Kconv", Feed::layer, Domain::normal, 0, 1, true},
           {"initial_state", "B,H,P,N", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"chunk_size", ScalarType::size},
           {"dt_softplus", ScalarType::flag},
           {"dt_limit", ScalarType::range}},
          {{"y", "B,T,H,P"}, {"final_state", "B,H,P,N"}, {"dt_discretized", "B,T,H"}}};
}

class Mamba2Session final : public mixers::RecurrentSession {
 public:
  Mamba2Session(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, {"chunked", "recurrent"}), 1) {
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.dt_softplus = bound.flag_or("dt_softplus", true);
    // [min, max] after softplus; absent: mamba_ssm's (0, ∞).
    std::tie(options_.dt_min, options_.dt_max) =
        bound.range("dt_limit").value_or(std::pair{options_.dt_min, options_.dt_max});
    options_.precision = options.precision;
    convolve_in_core({"x", "Bm", "Cm"});  // parts 0, 1, 2 of Inputs::conv
  }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{state("ssm state", CacheRole::recurrent_state, {"initial_state"})};
    add_conv_state(kept);
    return kept;
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Options options = options_;
    options.form = form == 0 ? Form::chunked : Form::recurrent;
    auto r = mamba2::run({take(inputs, "x"), take(inputs, "dt"), take(inputs, "dt_bias"),
                          take(inputs, "A"), take(inputs, "Bm"), take(inputs, "Cm"),
                          take(inputs, "D"), take(inputs, "initial_state"), conv()},
                         options);
    return emit(std::move(r.counts), std::move(r.y), std::move(r.final_state),
                std::move(r.dt_discretized));
  }

  Options options_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<Mamba2Session>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "chunked",
      "{kind: mamba2, n_heads: 4, head_dim: 3, state_size: 5, n_groups: 2, conv_kernel: 3}",
      "{kind: mamba2, n_heads: 16, head_dim: 128, state_size: 128, n_groups: 1, conv_kernel: 4}",
      "chunked",
      "mamba2_ssd"};
  return facet;
}

}  // namespace attnsim::mamba2
