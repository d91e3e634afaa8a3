// The reference facet of Gated DeltaNet and KDA (mixers-spec §5, §6): q, k, v (through the short
// conv when the instance has one), decays g and β per step; the session carries the recurrent
// state and the conv state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/delta_rule/session.h"

#include "mixers/common/delta_rule.h"
#include "mixers/common/recurrent_session.h"

namespace attnsim::delta_rule {

namespace {
using namespace reference;

Signature signature_of(bool per_channel) {
  return {{{"q", "B,T,H,K"},
           {"k", "B,T,H,K"},
           {"v", "B,T,HV,V"},
           {"g", per_channel ? "B,T,HV,K" : "B,T,HV", Feed::step, Domain::uniform, -0.5, -0.01},
           {"beta", "B,T,HV", Feed::step, Domain::uniform, 0.0, 1.0},
           // With conv weights, q/k/v are the projections before the conv (channels [q|k|v]).
           {"conv_weight", "2H*K+HV*V,Kconv", Feed::layer, Domain::normal, 0, 1, true},
           {"initial_state", "B,HV,K,V", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"scale", ScalarType::number},
           {"use_qk_l2norm", ScalarType::flag},
           {"l2norm_eps", ScalarType::number},
           {"chunk_size", ScalarType::size}},
          {{"o", "B,T,HV,V"}, {"final_state", "B,HV,K,V"}}};
}

class DeltaRuleSession final : public mixers::RecurrentSession {
 public:
  DeltaRuleSession(mixers::GateKind gate, const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature_of(gate == mixers::GateKind::per_channel),
                         form_index(options.form, {"chunked", "recurrent"}), 1),
        gate_(gate) {
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.scale = bound.number("scale");
    options_.use_qk_l2norm = bound.flag_or("use_qk_l2norm", options_.use_qk_l2norm);
    options_.l2norm_eps = bound.number("l2norm_eps").value_or(options_.l2norm_eps);
    options_.precision = options.precision;
    convolve_in_core({"q", "k", "v"});  // parts 0, 1, 2 of DeltaRuleInputs::conv
  }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{state("recurrent state", CacheRole::recurrent_state, {"initial_state"})};
    add_conv_state(kept);
    return kept;
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    mixers::DeltaRuleOptions options = options_;
    options.form = form == 0 ? mixers::DeltaRuleForm::chunked : mixers::DeltaRuleForm::recurrent;
    auto r = mixers::run_delta_rule(
        {take(inputs, "q"), take(inputs, "k"), take(inputs, "v"), take(inputs, "g"),
         take(inputs, "beta"), take(inputs, "initial_state"), conv()},
        options, gate_);
    return emit(std::move(r.counts), std::move(r.o), std::move(r.final_state));
  }

  mixers::GateKind gate_;
  mixers::DeltaRuleOptions options_;
};

Signature scalar_signature(const Binding&) { return signature_of(false); }
Signature channel_signature(const Binding&) { return signature_of(true); }
std::unique_ptr<Session> open_scalar(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<DeltaRuleSession>(mixers::GateKind::scalar, bound, options);
}
std::unique_ptr<Session> open_channel(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<DeltaRuleSession>(mixers::GateKind::per_channel, bound, options);
}
}  // namespace

const reference::Facet& facet(Gate gate) {
  static const Facet scalar{
      &scalar_signature,
      &open_scalar,
      "chunked",
      "{kind: gated_deltanet, n_qk_heads: 2, n_v_heads: 4, head_dim_k: 6, head_dim_v: 5, "
      "conv_kernel: 3}",
      "{kind: gated_deltanet, n_qk_heads: 16, n_v_heads: 16, head_dim_k: 128, head_dim_v: 128, "
      "conv_kernel: 4}",
      "chunked",
      ""};
  static const Facet channel{
      &channel_signature,
      &open_channel,
      "chunked",
      "{kind: kda, n_qk_heads: 2, n_v_heads: 4, head_dim_k: 6, head_dim_v: 5, conv_kernel: 3}",
      "{kind: kda, n_qk_heads: 16, n_v_heads: 16, head_dim_k: 128, head_dim_v: 128, "
      "conv_kernel: 4}",
      "chunked",
      ""};
  return gate == Gate::scalar ? scalar : channel;
}

reference::Binding binding(const DeltaRuleShape& shape) {
  reference::Binding bound;
  bound.set("H", static_cast<std::int64_t>(shape.n_qk_heads));
  bound.set("HV", static_cast<std::int64_t>(shape.n_v_heads));
  bound.set("K", static_cast<std::int64_t>(shape.head_dim_k));
  bound.set("V", static_cast<std::int64_t>(shape.head_dim_v));
  bound.set("Kconv", static_cast<std::int64_t>(shape.conv_kernel));
  return bound;
}

}  // namespace attnsim::delta_rule
