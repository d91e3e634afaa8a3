// The reference facet of the RWKV-7 WKV kernel (mixers-spec-recurrent §13): r, the log decay g,
// k, v and either a, b or the unit keys kk and in-context learning rates iclr they come from
// (a = −kk, b = kk ⊙ iclr) per step; the session carries the state. Prefill runs the chosen
// form, decode the recurrence.
#include "mixers/rwkv7/session.h"

#include <fmt/format.h>

#include "core/error.h"
#include "mixers/common/recurrent_session.h"
#include "mixers/rwkv7/reference.h"

namespace attnsim::rwkv7 {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  return {{{"r", "B,T,H,K"},
           // The trained models' range (−e^{−0.5}, 0).
           {"g", "B,T,H,K", Feed::step, Domain::uniform, -0.6065, -0.01},
           {"k", "B,T,H,K"},
           {"v", "B,T,H,V"},
           {"kk", "B,T,H,K", Feed::step, Domain::unit_rows, 0, 1, false, "a"},
           {"iclr", "B,T,H,K", Feed::step, Domain::uniform, 0.0, 1.0, false, "a"},
           {"a", "B,T,H,K", Feed::step, Domain::normal, 0, 1, true},
           {"b", "B,T,H,K", Feed::step, Domain::normal, 0, 1, true},
           {"initial_state", "B,H,K,V", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"scale", ScalarType::number}, {"chunk_size", ScalarType::size}},
          {{"o", "B,T,H,V"}, {"final_state", "B,H,K,V"}}};
}

class Rwkv7Session final : public mixers::RecurrentSession {
 public:
  Rwkv7Session(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound), form_index(options.form, {"chunked", "recurrent"}), 1) {
    if (const auto scale = bound.number("scale"); scale && *scale != 1.0)
      throw UserError({}, "params.scale", "1 (RWKV-7 does not scale r)", fmt::format("{}", *scale));
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.precision = options.precision;
  }
  // The token shift (the previous token's inputs of time and channel mixing, 2·H·N per
  // sequence) is kept outside the WKV kernel; its size follows from the state's.
  std::vector<Kept> kept() const override {
    const Tensor* state = carried().find("initial_state");
    const std::int64_t shift = state ? 2 * state->dim(0) * state->dim(1) * state->dim(2) : 0;
    return {this->state("wkv state", CacheRole::recurrent_state, {"initial_state"}),
            {"token shift", CacheRole::conv_state, shift, 0}};
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Inputs in{take(inputs, "r"),
              take(inputs, "g"),
              take(inputs, "k"),
              take(inputs, "v"),
              take(inputs, "a"),
              take(inputs, "b"),
              take(inputs, "initial_state"),
              {},
              {}};
    if (in.a.empty()) {  // a and b from kk and iclr, formed by the kernel as it loads them
      in.kk = take(inputs, "kk");
      in.iclr = take(inputs, "iclr");
      if (!in.kk.empty()) in.b = Tensor();  // as before: a b given beside kk is not used
    }
    const bool from_kk = in.a.empty() && !in.kk.empty() && !in.iclr.empty();
    if (!from_kk && (in.a.empty() || in.b.empty()))
      throw UserError({}, "inputs.b", "b [B, T, H, K] with a (or kk and iclr)", "nothing");
    Options options = options_;
    options.form = form == 0 ? Form::chunked : Form::recurrent;
    auto r = rwkv7::run(in, options);
    return emit(std::move(r.counts), std::move(r.o), std::move(r.final_state));
  }

  Options options_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<Rwkv7Session>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "chunked",
                           "{kind: rwkv7, n_heads: 2, head_dim: 5, decay_lora: 4, iclr_lora: 4, "
                           "value_lora: 4, gate_lora: 4}",
                           "{kind: rwkv7, n_heads: 16, head_dim: 128, decay_lora: 64, "
                           "iclr_lora: 64, value_lora: 32, gate_lora: 128}",
                           "chunked",
                           ""};
  return facet;
}

}  // namespace attnsim::rwkv7
