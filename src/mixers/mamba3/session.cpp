// The reference facet of the Mamba-3 core (mixers-spec-new §A): q, k, v, Δ, A·Δ, the trapezoid
// logit, the raw angles and z per step, the biases, D and the MIMO and norm weights once; the
// session carries the angle, SSM, k and v states. Prefill runs the chosen form, decode the
// recurrence.
#include "mixers/mamba3/session.h"

#include "mixers/common/recurrent_session.h"
#include "mixers/mamba3/reference.h"

namespace attnsim::mamba3 {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  const Domain normal = Domain::normal, uniform = Domain::uniform;
  return {{{"q", "B,T,R,G,N"},
           {"k", "B,T,R,G,N"},
           {"v", "B,T,H,P"},
           {"dt", "B,T,H", Feed::step, uniform, 0.01, 0.5},
           {"adt", "B,T,H", Feed::step, uniform, -1.0, -0.01},
           {"trap", "B,T,H"},
           {"angles", "B,T,H,S"},
           {"q_bias", "H,R,N", Feed::layer},
           {"k_bias", "H,R,N", Feed::layer},
           {"D", "H", Feed::layer, normal, 0, 1, true},
           {"z", "B,T,H,P", Feed::step, normal, 0, 1, true},
           {"mimo_v", "H,R,P", Feed::layer, normal, 0, 1, true},
           {"mimo_z", "H,R,P", Feed::layer, normal, 0, 1, true},
           {"mimo_o", "H,R,P", Feed::layer, normal, 0, 1, true},
           {"outproj_norm_weight", "H,P", Feed::layer, uniform, 0.5, 1.5, true},
           {"initial_angle_state", "B,H,S", Feed::initial_state, normal, 0, 1, true},
           {"initial_ssm_state", "B,H,P,N", Feed::initial_state, normal, 0, 1, true},
           {"initial_k_state", "B,R,H,N", Feed::initial_state, normal, 0, 1, true},
           {"initial_v_state", "B,H,P", Feed::initial_state, normal, 0, 1, true}},
          {{"chunk_size", ScalarType::size},
           {"rope_pairing", ScalarType::text, {"interleaved", "half"}},
           {"outproj_norm", ScalarType::flag},
           {"outproj_norm_eps", ScalarType::number}},
          {{"y", "B,T,H,P"},
           {"final_angle_state", "B,H,S"},
           {"final_ssm_state", "B,H,P,N"},
           {"final_k_state", "B,R,H,N"},
           {"final_v_state", "B,H,P"},
           {"theta", "B,T,H,S"},
           {"q_rot", "B,T,R,H,N"},
           {"k_rot", "B,T,R,H,N"}}};
}

class Mamba3Session final : public mixers::RecurrentSession {
 public:
  Mamba3Session(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, {"chunked", "recurrent"}), 1) {
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.pairing = bound.text_or("rope_pairing", "interleaved") == "half"
                           ? RopePairing::half
                           : RopePairing::interleaved;
    options_.outproj_norm = bound.flag_or("outproj_norm", false);
    options_.outproj_norm_eps =
        bound.number("outproj_norm_eps").value_or(options_.outproj_norm_eps);
    options_.intermediates = options.oracle_outputs;
    options_.precision = options.precision;
  }
  std::vector<Kept> kept() const override {
    return {state("ssm state", CacheRole::recurrent_state, {"initial_ssm_state"}),
            state("angle state", CacheRole::recurrent_state, {"initial_angle_state"}),
            state("k state", CacheRole::conv_state, {"initial_k_state"}),
            state("v state", CacheRole::conv_state, {"initial_v_state"})};
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Inputs in;
    for (auto [field, name] : {std::pair{&in.q, "q"},
                               {&in.k, "k"},
                               {&in.v, "v"},
                               {&in.dt, "dt"},
                               {&in.adt, "adt"},
                               {&in.trap, "trap"},
                               {&in.angles, "angles"},
                               {&in.q_bias, "q_bias"},
                               {&in.k_bias, "k_bias"},
                               {&in.D, "D"},
                               {&in.z, "z"},
                               {&in.mimo_v, "mimo_v"},
                               {&in.mimo_z, "mimo_z"},
                               {&in.mimo_o, "mimo_o"},
                               {&in.outproj_norm_weight, "outproj_norm_weight"},
                               {&in.initial_angle_state, "initial_angle_state"},
                               {&in.initial_ssm_state, "initial_ssm_state"},
                               {&in.initial_k_state, "initial_k_state"},
                               {&in.initial_v_state, "initial_v_state"}})
      *field = take(inputs, name);
    Options options = options_;
    options.form = form == 0 ? Form::chunked : Form::recurrent;
    auto r = mamba3::run(in, options);
    if (!options.intermediates)
      return emit(std::move(r.counts), std::move(r.y), std::move(r.final_angle_state),
                  std::move(r.final_ssm_state), std::move(r.final_k_state),
                  std::move(r.final_v_state));
    return emit(std::move(r.counts), std::move(r.y), std::move(r.final_angle_state),
                std::move(r.final_ssm_state), std::move(r.final_k_state),
                std::move(r.final_v_state), std::move(r.theta), std::move(r.q_rot),
                std::move(r.k_rot));
  }

  Options options_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<Mamba3Session>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "chunked",
      "{kind: mamba3, n_heads: 4, head_dim: 3, state_size: 8, n_groups: 2, mimo_rank: 2}",
      "{kind: mamba3, n_heads: 16, head_dim: 128, state_size: 128, mimo_rank: 4}",
      "chunked",
      ""};
  return facet;
}

}  // namespace attnsim::mamba3
