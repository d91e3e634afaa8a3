// Case runners of the recurrent kinds of mixers-spec-recurrent (short_conv, rg_lru, rwkv7,
// mlstm) for `attnsim oracle`.
#include "mixers/mlstm/reference.h"
#include "mixers/rg_lru/reference.h"
#include "mixers/rwkv7/reference.h"
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

// Inputs x, segment_pos (absent: no resets), the two gates [H, block_width, block_width]' weights
// and biases, a_param, optional initial_state; params c (default 8) and chunk_size; forms recurrent
// (default), chunked, scan.
Outputs run_rg_lru(const CaseFile& c, const Settings& settings) {
  rg_lru::Inputs in{c.floats("x", "B,T,W"),
                    IndexTensor(),
                    c.floats("input_gate_w", "H,block_width,block_width"),
                    c.floats("input_gate_b", "H,block_width"),
                    c.floats("a_gate_w", "H,block_width,block_width"),
                    c.floats("a_gate_b", "H,block_width"),
                    c.floats("a_param", "W"),
                    c.floats_if_given("initial_state", "B,W")};
  if (c.has_input("segment_pos")) {
    in.segment_pos = IndexTensor({in.x.dim(0), in.x.dim(1)});
    in.segment_pos.data = c.positions_if_given("segment_pos", "B,T");
  }
  rg_lru::Options options;
  const std::size_t form = choose_form(settings, {"recurrent", "chunked", "scan"});
  options.form = form == 0 ? rg_lru::Form::recurrent
                           : (form == 1 ? rg_lru::Form::chunked : rg_lru::Form::scan);
  options.c = c.number_or("c", options.c);
  options.chunk_size = c.optional_size("chunk_size").value_or(64);
  options.precision = settings.precision;
  const auto r = rg_lru::run(in, options);
  return {{{"y", r.y},
           {"final_state", r.final_state},
           {"gate_x", r.gate_x},
           {"gate_a", r.gate_a},
           {"log_a", r.log_a},
           {"normalized_x", r.normalized_x}},
          {},
          r.counts,
          r.state_elements};
}

// Inputs r, g (log decay), k, v and either a, b or kk, iclr (a = −kk, b = kk ⊙ iclr), optional
// initial_state [B, H, K, V]; params chunk_size; forms chunked (default), recurrent. The scale
// is 1 (params.scale, when given, must be 1).
Outputs run_rwkv7(const CaseFile& c, const Settings& settings) {
  rwkv7::Inputs in{c.floats("r", "B,T,H,K"),
                   c.floats("g", "B,T,H,K"),
                   c.floats("k", "B,T,H,K"),
                   c.floats("v", "B,T,H,V"),
                   {},
                   {},
                   c.floats_if_given("initial_state", "B,H,K,V")};
  if (c.has_input("a")) {
    in.a = c.floats("a", "B,T,H,K");
    in.b = c.floats("b", "B,T,H,K");
  } else {
    rwkv7::set_a_b_from_kk_iclr(in, c.floats("kk", "B,T,H,K"), c.floats("iclr", "B,T,H,K"));
  }
  if (c.number_or("scale", 1.0) != 1.0)
    c.fail("params.scale", "1 (RWKV-7 does not scale r)",
           std::to_string(c.number_or("scale", 1.0)));
  rwkv7::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? rwkv7::Form::chunked
                                                                      : rwkv7::Form::recurrent;
  options.chunk_size = c.optional_size("chunk_size").value_or(64);
  options.precision = settings.precision;
  const auto r = rwkv7::run(in, options);
  return {{{"o", r.o}, {"final_state", r.final_state}}, {}, r.counts, r.state_elements};
}

// Inputs q, k, v, i_preact, f_preact, optional initial_state (C), initial_n, initial_m; params
// gate_soft_cap (null or absent: none), eps (default 1e-6), scale (default DK^−1/2),
// chunk_size; forms chunkwise (default), recurrent, parallel.
Outputs run_mlstm(const CaseFile& c, const Settings& settings) {
  const mlstm::Inputs in{c.floats("q", "B,T,NH,DK"),
                         c.floats("k", "B,T,NH,DK"),
                         c.floats("v", "B,T,NH,DV"),
                         c.floats("i_preact", "B,T,NH"),
                         c.floats("f_preact", "B,T,NH"),
                         c.floats_if_given("initial_state", "B,NH,DK,DV"),
                         c.floats_if_given("initial_n", "B,NH,DK"),
                         c.floats_if_given("initial_m", "B,NH")};
  mlstm::Options options;
  const std::size_t form = choose_form(settings, {"chunkwise", "recurrent", "parallel"});
  options.form = form == 0 ? mlstm::Form::chunkwise
                           : (form == 1 ? mlstm::Form::recurrent : mlstm::Form::parallel);
  options.gate_soft_cap = c.number("gate_soft_cap");
  options.eps = c.number_or("eps", options.eps);
  options.scale = c.number("scale");
  options.chunk_size = c.optional_size("chunk_size").value_or(64);
  options.precision = settings.precision;
  const auto r = mlstm::run(in, options);
  return {{{"o", r.o},
           {"final_state", r.final_state},
           {"final_n", r.final_n},
           {"final_m", r.final_m},
           {"m", r.m},
           {"final_state_unstabilized", r.final_state_unstabilized},
           {"final_n_unstabilized", r.final_n_unstabilized}},
          {},
          r.counts,
          r.state_elements};
}

}  // namespace attnsim::oracle
