// The reference facet of the Mamba-2 SSD core (mixers-spec §8): x, dt, B and C per step (x, B, C
// through the short conv when the instance has one), dt_bias, A and D once; the session carries
// the SSM state and the conv state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/mamba2/session.h"

#include <optional>
#include <tuple>

#include "mixers/common/short_conv.h"
#include "mixers/mamba2/reference.h"
#include "mixers/mixer.h"

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

class Mamba2Session final : public Session {
 public:
  Mamba2Session(const Binding& bound, const SessionOptions& options) {
    options_.form =
        form_index(options.form, {"chunked", "recurrent"}) == 0 ? Form::chunked : Form::recurrent;
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.dt_softplus = bound.flag_or("dt_softplus", true);
    // [min, max] after softplus; absent: mamba_ssm's (0, ∞).
    std::tie(options_.dt_min, options_.dt_max) =
        bound.range("dt_limit").value_or(std::pair{options_.dt_min, options_.dt_max});
    options_.precision = options.precision;
  }
  Step prefill(const Tensors& inputs) override {
    if (const Tensor* weights = inputs.find("conv_weight")) conv_.emplace(*weights);
    dt_bias_ = input(inputs, "dt_bias");
    A_ = input(inputs, "A");
    D_ = input(inputs, "D");
    state_ = inputs.get("initial_state");
    return run(inputs, options_.form);
  }
  Step decode(const Tensors& inputs) override { return run(inputs, Form::recurrent); }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{
        {"ssm state", CacheRole::recurrent_state, static_cast<std::int64_t>(state_.size()), 0}};
    if (conv_) kept.push_back({"conv state", CacheRole::conv_state, conv_->state_elements(), 0});
    return kept;
  }

 private:
  Step run(const Tensors& inputs, Form form) {
    Step step;
    Inputs in{input(inputs, "x"),  input(inputs, "dt"), dt_bias_, A_,
              input(inputs, "Bm"), input(inputs, "Cm"), D_,       state_};
    if (conv_) {
      const Tensor xbc = conv_->run(mixers::concat_channels({&in.x, &in.Bm, &in.Cm}), step.counts);
      const std::int64_t H = in.x.dim(2), P = in.x.dim(3), G = in.Bm.dim(2), N = in.Bm.dim(3);
      in.x = mixers::channel_slice(xbc, 0, {H, P});
      in.Bm = mixers::channel_slice(xbc, H * P, {G, N});
      in.Cm = mixers::channel_slice(xbc, H * P + G * N, {G, N});
    }
    Options options = options_;
    options.form = form;
    auto r = mamba2::run(in, options);
    step.counts.merge(r.counts);
    state_ = r.final_state;
    step.outputs.add("y", std::move(r.y));
    step.outputs.add("final_state", std::move(r.final_state));
    step.outputs.add("dt_discretized", std::move(r.dt_discretized));
    return step;
  }

  Options options_;
  std::optional<mixers::ShortConv> conv_;
  Tensor dt_bias_, A_, D_, state_;
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
