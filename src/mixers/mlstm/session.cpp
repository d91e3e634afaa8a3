// The reference facet of the mLSTM (mixers-spec-recurrent §14): q, k, v and the raw input and
// forget gate pre-activations per step; the session carries (C, n, m). Prefill runs the chosen
// form, decode the recurrence.
#include "mixers/mlstm/session.h"

#include "mixers/common/recurrent_session.h"
#include "mixers/mlstm/reference.h"

namespace attnsim::mlstm {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  const Domain uniform = Domain::uniform;
  return {{{"q", "B,T,NH,DK"},
           {"k", "B,T,NH,DK"},
           {"v", "B,T,NH,DV"},
           // The input gate around 0, the forget gate mostly open.
           {"i_preact", "B,T,NH", Feed::step, uniform, -3.0, 3.0},
           {"f_preact", "B,T,NH", Feed::step, uniform, 0.0, 6.0},
           {"initial_state", "B,NH,DK,DV", Feed::initial_state, Domain::normal, 0, 1, true},
           {"initial_n", "B,NH,DK", Feed::initial_state, Domain::normal, 0, 1, true},
           {"initial_m", "B,NH", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"gate_soft_cap", ScalarType::number},
           {"eps", ScalarType::number},
           {"scale", ScalarType::number},
           {"chunk_size", ScalarType::size}},
          {{"o", "B,T,NH,DV"},
           {"final_state", "B,NH,DK,DV"},
           {"final_n", "B,NH,DK"},
           {"final_m", "B,NH"},
           {"m", "B,T,NH"},
           {"final_state_unstabilized", "B,NH,DK,DV"},
           {"final_n_unstabilized", "B,NH,DK"}}};
}

class MlstmSession final : public mixers::RecurrentSession {
 public:
  MlstmSession(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound),
                         form_index(options.form, {"chunkwise", "recurrent", "parallel"}), 1) {
    options_.gate_soft_cap = bound.number("gate_soft_cap");  // absent: no cap
    options_.eps = bound.number("eps").value_or(options_.eps);
    options_.scale = bound.number("scale");
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.precision = options.precision;
  }
  std::vector<Kept> kept() const override {
    return {
        state("C+n+m", CacheRole::recurrent_state, {"initial_state", "initial_n", "initial_m"})};
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Options options = options_;
    options.form = form == 0 ? Form::chunkwise : (form == 1 ? Form::recurrent : Form::parallel);
    auto r = mlstm::run(
        {take(inputs, "q"), take(inputs, "k"), take(inputs, "v"), take(inputs, "i_preact"),
         take(inputs, "f_preact"), take(inputs, "initial_state"), take(inputs, "initial_n"),
         take(inputs, "initial_m")},
        options);
    return emit(std::move(r.counts), std::move(r.o), std::move(r.final_state), std::move(r.final_n),
                std::move(r.final_m), std::move(r.m), std::move(r.final_state_unstabilized),
                std::move(r.final_n_unstabilized));
  }

  Options options_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<MlstmSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "chunkwise",
                           "{kind: mlstm, n_heads: 2, head_dim_k: 4, head_dim_v: 5}",
                           "{kind: mlstm, n_heads: 16, head_dim_k: 128, head_dim_v: 128}",
                           "chunkwise",
                           ""};
  return facet;
}

}  // namespace attnsim::mlstm
