// The reference facet of the Mamba-1 selective scan: x through the short conv over d_inner
// channels when the instance has one, Δ, B, C and the optional gate z per step, dt_bias, A and D
// once; the session carries the SSM state and the conv state. The scan has only its recurrent
// form (mixers/mamba1/README.md), in prefill and decode alike.
#include "mixers/mamba1/session.h"

#include <optional>

#include "mixers/common/short_conv.h"
#include "mixers/mamba1/reference.h"
#include "mixers/mixer.h"

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

class Mamba1Session final : public Session {
 public:
  Mamba1Session(const Binding&, const SessionOptions& options) {
    form_index(options.form, {"recurrent"});
  }
  Step prefill(const Tensors& inputs) override {
    if (const Tensor* weights = inputs.find("conv_weight")) conv_.emplace(*weights);
    dt_bias_ = input(inputs, "dt_bias");
    A_ = input(inputs, "A");
    D_ = input(inputs, "D");
    state_ = inputs.get("initial_state");
    return decode(inputs);
  }
  Step decode(const Tensors& inputs) override {
    Step step;
    Tensor x = input(inputs, "x");
    if (conv_) x = conv_->run(x, step.counts);
    auto r = run({std::move(x), input(inputs, "dt"), dt_bias_, A_, input(inputs, "Bm"),
                  input(inputs, "Cm"), D_, inputs.get("z"), state_});
    step.counts.merge(r.counts);
    state_ = r.final_state;
    step.outputs.add("y", std::move(r.y));
    step.outputs.add("final_state", std::move(r.final_state));
    step.outputs.add("dt_discretized", std::move(r.dt_discretized));
    return step;
  }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{
        {"ssm state", CacheRole::recurrent_state, static_cast<std::int64_t>(state_.size()), 0}};
    if (conv_) kept.push_back({"conv state", CacheRole::conv_state, conv_->state_elements(), 0});
    return kept;
  }

 private:
  std::optional<mixers::ShortConv> conv_;
  Tensor dt_bias_, A_, D_, state_;
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
