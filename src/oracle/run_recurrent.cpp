// Case runners of the recurrent kinds of mixers-spec-recurrent (short_conv, rg_lru, rwkv7,
// mlstm) for `attnsim oracle`.
#include "mixers/short_conv/reference.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

// Inputs b_gate, c_gate, x (or bcx, in_proj's B | C | x), conv_weight, optional conv_bias and
// initial_state [B, D, state_columns] (params.state_columns = L − 1); forms conv (default), step,
// toeplitz.
Outputs run_short_conv(const CaseFile& c, const Settings& settings) {
  short_conv::Inputs in = c.has_input("b_gate") ? short_conv::Inputs{c.floats("b_gate", "B,T,D"),
                                                                     c.floats("c_gate", "B,T,D"),
                                                                     c.floats("x", "B,T,D"),
                                                                     {},
                                                                     {},
                                                                     {}}
                                                : short_conv::split_bcx(c.floats("bcx", "B,T,3*D"));
  in.conv_weight = c.floats("conv_weight", "D,L");
  in.conv_bias = c.floats_if_given("conv_bias", "D");
  in.initial_state = c.floats_if_given("initial_state", "B,D,state_columns");
  short_conv::Options options;
  const std::size_t form = choose_form(settings, {"conv", "step", "toeplitz"});
  options.form = form == 0 ? short_conv::Form::conv
                           : (form == 1 ? short_conv::Form::step : short_conv::Form::toeplitz);
  options.precision = settings.precision;
  const auto r = short_conv::run(in, options);
  return {{{"y", r.y}, {"final_state", r.final_state}, {"u", r.u}, {"conv_out", r.conv_out}},
          {},
          r.counts,
          r.state_elements};
}

}  // namespace attnsim::oracle
