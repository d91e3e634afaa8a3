// The reference facet of the gated memory unit: per token and channel y = silu(g) · m, with g the
// in_proj output and m the memory (an earlier Mamba layer's SSM output, before its own gate).
// Stateless: a decode step is the same product on one token.
#include "mixers/gmu/session.h"

#include <cmath>

#include "mixers/mixer.h"

namespace attnsim::gmu {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"g", "B,T,d_inner"}, {"m", "B,T,d_inner"}}, {}, {{"y", "B,T,d_inner"}}};
}

class GmuSession final : public Session {
 public:
  GmuSession(const Binding&, const SessionOptions& options) {
    form_index(options.form, {"direct"});
  }
  Step prefill(const Tensors& inputs) override { return decode(inputs); }
  Step decode(const Tensors& inputs) override {
    const Tensor& g = input(inputs, "g");
    const Tensor& m = input(inputs, "m");
    Step step;
    Tensor y(g.shape);
    for (std::size_t i = 0; i < g.size(); ++i) y[i] = g[i] / (1.0 + std::exp(-g[i])) * m[i];
    // The gate product, one multiply per channel and token (mixers/gmu/README.md).
    step.counts.add("gate", static_cast<std::int64_t>(g.size()));
    step.outputs.add("y", std::move(y));
    return step;
  }
  std::vector<Kept> kept() const override { return {}; }
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<GmuSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature, &open, "direct", "{kind: gmu, d_inner: 6}", "{kind: gmu, d_inner: 5120}",
      "direct",   ""};
  return facet;
}

}  // namespace attnsim::gmu
