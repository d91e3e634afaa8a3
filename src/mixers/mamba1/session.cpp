// The reference facet of the Mamba-1 selective scan: x through the short conv over d_inner
// channels when the instance has one, Δ, B, C and the optional gate z per step, dt_bias, A and D
// once; the session carries the SSM state and the conv state. The scan has only its recurrent
// form (mixers/mamba1/README.md), in prefill and decode alike.
#include "mixers/mamba1/session.h"

#include "mixers/common/recurrent_session.h"
#include "mixers/mamba1/reference.h"

namespace attnsim::mamba1 {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {
      {{"x", "B,T,d_inner"},
       {"dt", "B,T,d_inner"},
       {"dt_bias", "d_inner", Feed::layer},
       {"A", "d_inner,N", Feed::layer, Domain::uniform, -1.0, -0.1},
       {"Bm", "B,T,N"},
       {"Cm", "B,T,N"},
       {"D", "d_inner", Feed::layer},
       {"z", "B,T,d_inner", Feed::step, Domain::normal, 0, 1, true},
       {"conv_weight", "d_inner,Kconv", Feed::layer, Domain::normal, 0, 1, true},
       {"initial_state", "B,d_inner,N", Feed::initial_state, Domain::normal, 0, 1, true}},
      {},
      {{"y", "B,T,d_inner"}, {"final_state", "B,d_inner,N"}, {"dt_discretized", "B,T,d_inner"}}};
}

class Mamba1Session final : public mixers::RecurrentSession {
 public:
  Mamba1Session(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, {"recurrent"}), 0) {
    convolve({"x"});
  }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{state("ssm state", CacheRole::recurrent_state, {"initial_state"})};
    add_conv_state(kept);
    return kept;
  }

 private:
  Step run(Tensors& inputs, std::size_t) override {
    auto r = mamba1::run({take(inputs, "x"), take(inputs, "dt"), take(inputs, "dt_bias"),
                          take(inputs, "A"), take(inputs, "Bm"), take(inputs, "Cm"),
                          take(inputs, "D"), take(inputs, "z"), take(inputs, "initial_state")});
    return emit(std::move(r.counts), std::move(r.y), std::move(r.final_state),
                std::move(r.dt_discretized));
  }
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<Mamba1Session>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "recurrent",
                           "{kind: mamba1, d_inner: 6, state_size: 4, conv_kernel: 3}",
                           "{kind: mamba1, d_inner: 2048, state_size: 16, conv_kernel: 4}",
                           "recurrent",
                           ""};
  return facet;
}

}  // namespace attnsim::mamba1
