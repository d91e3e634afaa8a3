// Case runners of the attention kinds for `attnsim oracle`: each reads its params and inputs
// from the case file (shapes checked against the params) and runs the reference kernel.
#include <tuple>

#include "mixers/dsa/reference.h"
#include "mixers/gated_attn/reference.h"
#include "mixers/mla/reference.h"
#include "mixers/softmax_attn/reference.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

namespace {
mixers::RopeStyle rope_style_of(const CaseFile& c, const std::string& key,
                                const std::string& fallback) {
  const std::string style = c.text_or(key, fallback);
  if (style == "interleaved") return mixers::RopeStyle::interleaved;
  if (style == "half") return mixers::RopeStyle::half_split;
  c.fail("params." + key, "'interleaved' or 'half'", "'" + style + "'");
}

mla::Inputs mla_inputs(const CaseFile& c) {
  mla::Inputs in{c.floats("q_nope", "B,Tq,H,dn"),
                 c.floats("q_pe", "B,Tq,H,dr"),
                 c.floats("c_kv", "B,Tk,dc"),
                 c.floats("k_pe", "B,Tk,dr"),
                 Tensor(),
                 Tensor(),
                 c.positions_if_given("q_positions", "Tq"),
                 c.positions_if_given("k_positions", "Tk")};
  if (c.has_input("w_uk")) {
    in.w_uk = c.floats("w_uk", "H,dn,dc");
    in.w_uv = c.floats("w_uv", "H,dv,dc");
  } else {
    std::tie(in.w_uk, in.w_uv) = mla::split_wkv_b(c.floats("w_kv_b", "H*(dn+dv),dc"), c.size("H"),
                                                  c.size("dn"), c.size("dv"));
  }
  return in;
}

mla::Options mla_options(const CaseFile& c, const Settings& settings) {
  mla::Options options;
  options.form =
      choose_form(settings, {"absorbed", "naive"}) == 0 ? mla::Form::absorbed : mla::Form::naive;
  options.mscale = c.number_or("mscale", 1.0);
  options.scale = c.number("scale");
  options.rope_theta = c.number_or("rope_theta", options.rope_theta);
  options.rope_style = rope_style_of(c, "rope_style", "interleaved");
  options.use_rope = !c.flag_or("use_nope", false);
  options.precision = settings.precision;
  return options;
}

}  // namespace

Outputs run_softmax_attn(const CaseFile& c, const Settings& settings) {
  choose_form(settings, {"blocked"});
  softmax_attn::Options options;
  options.scale = c.number("scale");
  options.window = c.optional_size("window");
  options.precision = settings.precision;
  const auto r = softmax_attn::run(
      {c.floats("q", "B,Tq,Hq,D"), c.floats("k", "B,Tk,Hkv,D"), c.floats("v", "B,Tk,Hkv,Dv"),
       c.positions_if_given("q_positions", "Tq"), c.positions_if_given("k_positions", "Tk")},
      options);
  return {{{"o", r.o}, {"lse", r.lse}}, {}, r.counts, r.cache_elements};
}

Outputs run_gated_attn(const CaseFile& c, const Settings& settings) {
  choose_form(settings, {"blocked"});
  gated_attn::Options options;
  options.rope_theta = c.number_or("rope_theta", c.number_or("theta", options.rope_theta));
  options.partial_rotary_factor =
      c.number_or("partial_rotary_factor", options.partial_rotary_factor);
  options.eps = c.number_or("eps", options.eps);
  options.scale = c.number("scale");
  options.window = c.optional_size("window");
  options.precision = settings.precision;
  const auto r = gated_attn::run(
      {c.floats("q_and_gate", "B,Tq,Hq,2D"), c.floats("k", "B,Tk,Hkv,D"),
       c.floats("v", "B,Tk,Hkv,D"), c.floats("q_norm_weight", "D"), c.floats("k_norm_weight", "D"),
       c.positions_if_given("q_positions", "Tq"), c.positions_if_given("k_positions", "Tk")},
      options);
  return {{{"o", r.o},
           {"o_ungated", r.o_ungated},
           {"lse", r.lse},
           {"q_rot", r.q_rot},
           {"k_rot", r.k_rot}},
          {},
          r.counts,
          r.cache_elements};
}

Outputs run_mla(const CaseFile& c, const Settings& settings) {
  // `o` comes from the chosen form; `o_absorbed` always from the absorbed one (as the examples).
  mla::Options options = mla_options(c, settings);
  const mla::Inputs inputs = mla_inputs(c);
  const auto r = mla::run(inputs, options);
  options.form = mla::Form::absorbed;
  const Tensor o_absorbed =
      options.form == mla_options(c, settings).form ? r.o : mla::run(inputs, options).o;
  return {{{"o", r.o},
           {"o_absorbed", o_absorbed},
           {"lse", r.lse},
           {"q_pe_rot", r.q_pe_rot},
           {"k_pe_rot", r.k_pe_rot}},
          {},
          r.counts,
          r.cache_elements};
}

Outputs run_dsa(const CaseFile& c, const Settings& settings) {
  if (c.text_or("index_rope_style", "half") != "half" ||
      c.text_or("index_layout", "rope_first") != "rope_first") {
    c.fail("params.index_rope_style/index_layout",
           "'half' RoPE with 'rope_first' layout (mixers-spec §3)",
           c.text_or("index_rope_style", "half") + ", " + c.text_or("index_layout", "rope_first"));
  }
  const dsa::IndexerInputs indexer{c.floats("index_q", "B,Tq,HI,dI"),
                                   c.floats("index_k", "B,Tk,dI"), c.floats("index_w", "B,Tq,HI"),
                                   c.positions_if_given("q_positions", "Tq"),
                                   c.positions_if_given("k_positions", "Tk")};
  dsa::IndexerOptions index_options;
  index_options.topk = c.size("topk");
  index_options.index_scale = c.number("index_scale");
  index_options.weight_scale = c.number("weight_scale");
  index_options.rope_dim = static_cast<std::int64_t>(c.number_or("index_rope_dim", 0));
  index_options.rope_theta = c.number_or("rope_theta", index_options.rope_theta);
  // --form masked (default, V3.2 prefill) or gathered (only the selected keys are multiplied).
  const bool gathered = choose_form(settings, {"masked", "gathered"}) == 1;
  const std::string attention = c.text_or("attention", "generic");
  dsa::Result r;
  if (attention == "mla") {
    mla::Options options = mla_options(c, Settings{"", settings.precision});
    options.gather_selected_keys = gathered;
    r = dsa::run_on_mla(indexer, index_options, mla_inputs(c), options);
  } else if (attention == "generic") {
    softmax_attn::Options options;
    options.scale = c.number("scale");
    options.precision = settings.precision;
    options.gather_selected_keys = gathered;
    r = dsa::run_on_attention(indexer, index_options,
                              {c.floats("q", "B,Tq,H,D"),
                               c.floats("k", "B,Tk,Hkv,D"),
                               c.floats("v", "B,Tk,Hkv,Dv"),
                               {},
                               {}},
                              options);
  } else {
    c.fail("params.attention", "'generic' or 'mla'", "'" + attention + "'");
  }
  return {{{"o", r.o},
           {"lse", r.lse},
           {"index_q_rot", r.selection.index_q_rot},
           {"index_k_rot", r.selection.index_k_rot},
           {"index_scores", r.selection.index_scores}},
          {{"topk_indices", r.selection.topk_indices}, {"selected", r.selection.selected}},
          r.counts,
          r.cache_elements};
}

}  // namespace attnsim::oracle
