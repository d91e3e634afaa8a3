// The reference facet of MLA (mixers-spec §2): each step appends its latents c_kv and k_pe to
// the cache and runs its queries against all of it; prefill in the chosen form, decode absorbed.
#include "mixers/mla/session.h"

#include <tuple>

namespace attnsim::mla {

using namespace reference;

std::vector<TensorSpec> input_specs() {
  return {{"q_nope", "B,Tq,H,dn"},
          {"q_pe", "B,Tq,H,dr"},
          {"c_kv", "B,Tk,dc"},
          {"k_pe", "B,Tk,dr"},
          {"w_uk", "H,dn,dc", Feed::layer, Domain::normal, 0, 1, false, "w_kv_b"},
          {"w_uv", "H,dv,dc", Feed::layer, Domain::normal, 0, 1, false, "w_kv_b"},
          {"w_kv_b", "H*(dn+dv),dc", Feed::layer, Domain::normal, 0, 1, true},
          {"q_positions", "Tq", Feed::step, Domain::positions, 0, 0, true},
          {"k_positions", "Tk", Feed::step, Domain::positions, 0, 0, true}};
}

std::vector<ScalarSpec> scalar_specs() {
  return {{"scale", ScalarType::number},
          {"mscale", ScalarType::number},
          {"rope_theta", ScalarType::number},
          {"rope_style", ScalarType::text, {"interleaved", "half"}},
          {"use_nope", ScalarType::flag}};
}

Options options_of(const Binding& bound, const SessionOptions& session) {
  Options options;
  options.form =
      form_index(session.form, {"absorbed", "naive"}) == 0 ? Form::absorbed : Form::naive;
  options.mscale = bound.number("mscale").value_or(1.0);
  options.scale = bound.number("scale");
  options.rope_theta = bound.number("rope_theta").value_or(options.rope_theta);
  options.rope_style = bound.text_or("rope_style", "interleaved") == "half"
                           ? mixers::RopeStyle::half_split
                           : mixers::RopeStyle::interleaved;
  options.use_rope = !bound.flag_or("use_nope", false);
  options.precision = session.precision;
  if (session.query_block > 0) options.query_block = session.query_block;
  return options;
}

void LatentHistory::set_weights(const Tensors& inputs) {
  if (const Tensor* w_uk = inputs.find("w_uk")) {
    w_uk_ = *w_uk;
    w_uv_ = input(inputs, "w_uv");
    return;
  }
  const Tensor& q_nope = input(inputs, "q_nope");
  const Tensor& w_kv_b = input(inputs, "w_kv_b");
  const std::int64_t H = q_nope.dim(2), dn = q_nope.dim(3);
  std::tie(w_uk_, w_uv_) = split_wkv_b(w_kv_b, H, dn, w_kv_b.dim(0) / H - dn);
}

Inputs LatentHistory::step(const Tensors& inputs) {
  const Tensor& q_nope = input(inputs, "q_nope");
  cache_.append({&input(inputs, "c_kv"), &input(inputs, "k_pe")}, positions(inputs, "k_positions"));
  // Views: the kernel reads its inputs in place (the step's and the cache's tensors outlive it).
  return {q_nope.borrowed(),
          input(inputs, "q_pe").borrowed(),
          c_kv_.borrowed(),
          k_pe_.borrowed(),
          w_uk_.borrowed(),
          w_uv_.borrowed(),
          cache_.query_positions(q_nope.dim(1), positions(inputs, "q_positions")),
          cache_.positions};
}

namespace {
Signature signature(const Binding&) {
  return {input_specs(),
          scalar_specs(),
          {{"o", "B,Tq,H,dv"},
           {"o_absorbed", "B,Tq,H,dv"},
           {"lse", "B,Tq,H"},
           {"q_pe_rot", "B,Tq,H,dr"},
           {"k_pe_rot", "B,Tk,dr"}}};
}

class MlaSession final : public Session {
 public:
  MlaSession(const Binding& bound, const SessionOptions& options)
      : options_(options_of(bound, options)), oracle_outputs_(options.oracle_outputs) {}
  Step prefill(const Tensors& inputs) override {
    history_.set_weights(inputs);
    return run(inputs, options_.form);
  }
  Step decode(const Tensors& inputs) override { return run(inputs, Form::absorbed); }
  std::vector<Kept> kept() const override {
    return {{"c_kv+k_rope", CacheRole::kv, history_.elements(), history_.tokens()}};
  }

 private:
  Step run(const Tensors& inputs, Form form) {
    Options options = options_;
    options.form = form;
    const Inputs in = history_.step(inputs);
    auto r = mla::run(in, options);
    Step step{{}, std::move(r.counts)};
    // The worked examples also check the absorbed form's output beside the chosen one's.
    if (oracle_outputs_) {
      options.form = Form::absorbed;
      step.outputs.add("o_absorbed", form == Form::absorbed ? r.o : mla::run(in, options).o);
    }
    step.outputs.add("o", std::move(r.o));
    step.outputs.add("lse", std::move(r.lse));
    step.outputs.add("q_pe_rot", std::move(r.q_pe_rot));
    step.outputs.add("k_pe_rot", std::move(r.k_pe_rot));
    return step;
  }

  Options options_;
  bool oracle_outputs_;
  LatentHistory history_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<MlaSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "naive",
                           "{kind: mla, n_heads: 3, kv_lora_rank: 10, qk_nope_head_dim: 6, "
                           "qk_rope_head_dim: 4, v_head_dim: 5}",
                           "{kind: mla, n_heads: 16, kv_lora_rank: 512, qk_nope_head_dim: 128, "
                           "qk_rope_head_dim: 64, v_head_dim: 128}",
                           "naive",
                           ""};
  return facet;
}

Binding binding(const MlaShape& shape) {
  Binding bound;
  bound.set("H", static_cast<std::int64_t>(shape.n_heads));
  bound.set("dn", static_cast<std::int64_t>(shape.qk_nope_head_dim));
  bound.set("dr", static_cast<std::int64_t>(shape.qk_rope_head_dim));
  bound.set("dv", static_cast<std::int64_t>(shape.v_head_dim));
  bound.set("dc", static_cast<std::int64_t>(shape.kv_lora_rank));
  return bound;
}

}  // namespace attnsim::mla
