// The reference facet of the LFM2 short convolution (mixers-spec-recurrent §12): the three
// in_proj streams B, C and x per step (or bcx, the in_proj output), the conv weights once; the
// session carries the last L − 1 columns of u = B ⊙ x. Prefill runs the chosen form, decode the
// step form.
#include "mixers/short_conv/session.h"

#include "mixers/common/recurrent_session.h"
#include "mixers/short_conv/reference.h"

namespace attnsim::short_conv {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"b_gate", "B,T,D", Feed::step, Domain::normal, 0, 1, false, "bcx"},
           {"c_gate", "B,T,D", Feed::step, Domain::normal, 0, 1, false, "bcx"},
           {"x", "B,T,D", Feed::step, Domain::normal, 0, 1, false, "bcx"},
           // in_proj's output [B | C | x] in place of the three streams.
           {"bcx", "B,T,3*D", Feed::step, Domain::normal, 0, 1, true},
           {"conv_weight", "D,L", Feed::layer},
           {"conv_bias", "D", Feed::layer, Domain::normal, 0, 1, true},
           {"initial_state", "B,D,state_columns", Feed::initial_state, Domain::normal, 0, 1, true}},
          {},
          {{"y", "B,T,D"},
           {"final_state", "B,D,state_columns"},
           {"u", "B,T,D"},
           {"conv_out", "B,T,D"}}};
}

const std::vector<std::string_view> kForms = {"conv", "step", "toeplitz"};

class ShortConvSession final : public mixers::RecurrentSession {
 public:
  ShortConvSession(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, kForms), 1),
        precision_(options.precision) {}
  std::vector<Kept> kept() const override {
    return {state("conv state", CacheRole::conv_state, {"initial_state"})};
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Inputs in =
        inputs.find("b_gate")
            ? Inputs{take(inputs, "b_gate"), take(inputs, "c_gate"), take(inputs, "x"), {}, {}, {}}
            : split_bcx(input(inputs, "bcx"));
    in.conv_weight = take(inputs, "conv_weight");
    in.conv_bias = take(inputs, "conv_bias");
    in.initial_state = take(inputs, "initial_state");
    auto r = short_conv::run(in, {static_cast<Form>(form), precision_});
    return emit(std::move(r.counts), std::move(r.y), std::move(r.final_state), std::move(r.u),
                std::move(r.conv_out));
  }

  Precision precision_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<ShortConvSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "conv",
                           "{kind: short_conv, channels: 6, conv_kernel: 3}",
                           "{kind: short_conv, channels: 2048, conv_kernel: 3}",
                           "conv",
                           ""};
  return facet;
}

}  // namespace attnsim::short_conv
