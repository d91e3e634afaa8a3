// Case runners of the linear-attention and SSM kinds for `attnsim oracle`.
#include <tuple>
#include <utility>

#include "mixers/common/delta_rule.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba2/reference.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

namespace {
std::int64_t chunk_size_of(const CaseFile& c) {
  return c.optional_size("chunk_size").value_or(c.optional_size("chunk").value_or(64));
}

Outputs run_delta_rule(const CaseFile& c, const Settings& settings, mixers::GateKind gate) {
  mixers::DeltaRuleOptions options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0
                     ? mixers::DeltaRuleForm::chunked
                     : mixers::DeltaRuleForm::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.scale = c.number("scale");
  options.use_qk_l2norm = c.flag_or("use_qk_l2norm", true);
  options.l2norm_eps = c.number_or("l2norm_eps", options.l2norm_eps);
  options.precision = settings.precision;
  const auto r = mixers::run_delta_rule(
      {c.floats("q", "B,T,H,K"), c.floats("k", "B,T,H,K"), c.floats("v", "B,T,HV,V"),
       c.floats("g", gate == mixers::GateKind::scalar ? "B,T,HV" : "B,T,HV,K"),
       c.floats("beta", "B,T,HV"), c.floats_if_given("initial_state", "B,HV,K,V")},
      options, gate);
  return {{{"o", r.o}, {"final_state", r.final_state}}, {}, r.counts, r.state_elements};
}

// g_γ from the g_gamma input, or from params.slopes ("minimax", "ling", "fla"), layer_idx,
// n_layers.
Tensor lightning_decays(const CaseFile& c) {
  if (c.has_input("g_gamma")) return c.floats("g_gamma", "H");
  const std::string slopes = c.text_or("slopes", "");
  const std::int64_t H = c.size("H"),
                     layer = static_cast<std::int64_t>(c.number_or("layer_idx", 0));
  const std::int64_t n_layers = c.size("n_layers");
  Tensor g({H});
  if (slopes == "minimax")
    g.data = lightning::minimax_slopes(H, layer, n_layers);
  else if (slopes == "ling")
    g.data = lightning::ling_slopes(H, layer, n_layers);
  else if (slopes == "fla")
    g.data = lightning::fla_slopes(H, layer, n_layers);
  else
    c.fail("inputs.g_gamma", "a g_gamma input or params.slopes minimax|ling|fla",
           "'" + slopes + "'");
  return g;
}

}  // namespace

Outputs run_gated_deltanet(const CaseFile& c, const Settings& s) {
  return run_delta_rule(c, s, mixers::GateKind::scalar);
}
Outputs run_kda(const CaseFile& c, const Settings& s) {
  return run_delta_rule(c, s, mixers::GateKind::per_channel);
}

Outputs run_lightning(const CaseFile& c, const Settings& settings) {
  lightning::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? lightning::Form::chunked
                                                                      : lightning::Form::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.scale = c.number("scale");
  options.precision = settings.precision;
  const auto r =
      lightning::run({c.floats("q", "B,T,H,K"), c.floats("k", "B,T,H,K"), c.floats("v", "B,T,H,V"),
                      lightning_decays(c), c.floats_if_given("initial_state", "B,H,K,V")},
                     options);
  return {{{"o", r.o}, {"final_state", r.final_state}}, {}, r.counts, r.state_elements};
}

Outputs run_mamba2(const CaseFile& c, const Settings& settings) {
  mamba2::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? mamba2::Form::chunked
                                                                      : mamba2::Form::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.dt_softplus = c.flag_or("dt_softplus", true);
  // params.dt_limit = [min, max] ("inf" allowed); absent: mamba2::Options' (0, ∞), mamba_ssm's.
  std::tie(options.dt_min, options.dt_max) =
      c.optional_range("dt_limit").value_or(std::pair{options.dt_min, options.dt_max});
  options.precision = settings.precision;
  const auto r =
      mamba2::run({c.floats("x", "B,T,H,P"), c.floats("dt", "B,T,H"), c.floats("dt_bias", "H"),
                   c.floats("A", "H"), c.floats("Bm", "B,T,G,N"), c.floats("Cm", "B,T,G,N"),
                   c.floats("D", "H"), c.floats_if_given("initial_state", "B,H,P,N")},
                  options);
  return {{{"y", r.y}, {"final_state", r.final_state}, {"dt_discretized", r.dt_discretized}},
          {},
          r.counts,
          r.state_elements};
}

}  // namespace attnsim::oracle
