// Case runners of Mamba-3 and differential attention (mixers-spec-new §A, §B) for `attnsim
// oracle`.
#include "mixers/diff_attn/reference.h"
#include "mixers/mamba3/reference.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

// Inputs q, k [B,T,R,G,N], v, z [B,T,H,P], dt, adt, trap [B,T,H], angles [B,T,H,S], q_bias,
// k_bias [H,R,N], optional D, mimo_v/z/o [H,R,P], outproj_norm_weight [H,P] and the four initial
// states; params R, G, S, rope_pairing (interleaved | half), outproj_norm, outproj_norm_eps,
// chunk_size; forms chunked (default) and recurrent.
Outputs run_mamba3(const CaseFile& c, const Settings& settings) {
  mamba3::Inputs in;
  in.q = c.floats("q", "B,T,R,G,N");
  in.k = c.floats("k", "B,T,R,G,N");
  in.v = c.floats("v", "B,T,H,P");
  in.dt = c.floats("dt", "B,T,H");
  in.adt = c.floats("adt", "B,T,H");
  in.trap = c.floats("trap", "B,T,H");
  in.angles = c.floats("angles", "B,T,H,S");
  in.q_bias = c.floats("q_bias", "H,R,N");
  in.k_bias = c.floats("k_bias", "H,R,N");
  in.D = c.floats_if_given("D", "H");
  in.z = c.floats_if_given("z", "B,T,H,P");
  in.mimo_v = c.floats_if_given("mimo_v", "H,R,P");
  in.mimo_z = c.floats_if_given("mimo_z", "H,R,P");
  in.mimo_o = c.floats_if_given("mimo_o", "H,R,P");
  in.outproj_norm_weight = c.floats_if_given("outproj_norm_weight", "H,P");
  in.initial_angle_state = c.floats_if_given("initial_angle_state", "B,H,S");
  in.initial_ssm_state = c.floats_if_given("initial_ssm_state", "B,H,P,N");
  in.initial_k_state = c.floats_if_given("initial_k_state", "B,R,H,N");
  in.initial_v_state = c.floats_if_given("initial_v_state", "B,H,P");
  mamba3::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? mamba3::Form::chunked
                                                                      : mamba3::Form::recurrent;
  options.chunk_size = c.optional_size("chunk_size").value_or(64);
  const std::string pairing = c.text_or("rope_pairing", "interleaved");
  if (pairing != "interleaved" && pairing != "half")
    c.fail("params.rope_pairing", "interleaved or half", "'" + pairing + "'");
  options.pairing =
      pairing == "half" ? mamba3::RopePairing::half : mamba3::RopePairing::interleaved;
  options.outproj_norm = c.flag_or("outproj_norm", false);
  options.outproj_norm_eps = c.number_or("outproj_norm_eps", options.outproj_norm_eps);
  options.intermediates = true;
  options.precision = settings.precision;
  auto r = mamba3::run(in, options);
  return {{{"y", r.y},
           {"final_angle_state", r.final_angle_state},
           {"final_ssm_state", r.final_ssm_state},
           {"final_k_state", r.final_k_state},
           {"final_v_state", r.final_v_state},
           {"theta", r.theta},
           {"q_rot", r.q_rot},
           {"k_rot", r.k_rot}},
          {},
          r.counts,
          r.state_elements};
}

// Inputs q [B,Tq,H,D], k, v [B,Tk,Hkv,D], lambda_q1/k1/q2/k2 [D], subln_weight [2D], optional
// q_positions, k_positions; params window, depth (0-based layer index), subln_eps, rope_theta,
// rope_style (interleaved | half); forms two_pass (default) and combined.
Outputs run_diff_attn(const CaseFile& c, const Settings& settings) {
  const diff_attn::Inputs in{c.floats("q", "B,Tq,H,D"),
                             c.floats("k", "B,Tk,Hkv,D"),
                             c.floats("v", "B,Tk,Hkv,D"),
                             c.floats("lambda_q1", "D"),
                             c.floats("lambda_k1", "D"),
                             c.floats("lambda_q2", "D"),
                             c.floats("lambda_k2", "D"),
                             c.floats("subln_weight", "2*D"),
                             c.positions_if_given("q_positions", "Tq"),
                             c.positions_if_given("k_positions", "Tk")};
  diff_attn::Options options;
  options.form = choose_form(settings, {"two_pass", "combined"}) == 0 ? diff_attn::Form::two_pass
                                                                      : diff_attn::Form::combined;
  options.window = c.optional_size("window");
  options.depth = static_cast<std::int64_t>(c.number_or("depth", 0));
  options.subln_eps = c.number_or("subln_eps", options.subln_eps);
  options.rope_theta = c.number("rope_theta");
  const std::string style = c.text_or("rope_style", "interleaved");
  if (style != "interleaved" && style != "half")
    c.fail("params.rope_style", "interleaved or half", "'" + style + "'");
  options.rope_style =
      style == "half" ? mixers::RopeStyle::half_split : mixers::RopeStyle::interleaved;
  options.intermediates = true;
  options.precision = settings.precision;
  auto r = diff_attn::run(in, options);
  return {{{"o", r.o},
           {"attn1", r.attn1},
           {"attn2", r.attn2},
           {"lse1", r.lse1},
           {"lse2", r.lse2},
           {"lambda_full", r.lambda_full}},
          {},
          r.counts,
          r.cache_elements};
}

}  // namespace attnsim::oracle
