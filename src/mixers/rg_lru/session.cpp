// The reference facet of the RG-LRU (mixers-spec-recurrent §11): x per step (through the
// block's temporal conv1d when the instance has one; the worked examples start after it), the
// block-diagonal gates and Λ once, optional document positions; the session carries h and the
// conv state. Prefill runs the chosen form, decode the recurrence.
#include "mixers/rg_lru/session.h"

#include "mixers/common/recurrent_session.h"
#include "mixers/rg_lru/reference.h"

namespace attnsim::rg_lru {

using namespace reference;

namespace {
Signature signature(const Binding&) {
  const Domain uniform = Domain::uniform;
  return {{{"x", "B,T,W"},
           {"segment_pos", "B,T", Feed::step, Domain::positions, 0, 0, true},
           {"input_gate_w", "H,block_width,block_width", Feed::layer, uniform, -0.2, 0.2},
           {"input_gate_b", "H,block_width", Feed::layer},
           {"a_gate_w", "H,block_width,block_width", Feed::layer, uniform, -0.2, 0.2},
           {"a_gate_b", "H,block_width", Feed::layer},
           {"a_param", "W", Feed::layer, uniform, -1.0, 3.0},
           // RecurrentGemma's conv1d over W channels (no activation); x is its input then.
           {"conv_weight", "W,Kconv", Feed::layer, Domain::normal, 0, 1, true},
           {"initial_state", "B,W", Feed::initial_state, Domain::normal, 0, 1, true}},
          {{"c", ScalarType::number}, {"chunk_size", ScalarType::size}},
          {{"y", "B,T,W"},
           {"final_state", "B,W"},
           {"gate_x", "B,T,W"},
           {"gate_a", "B,T,W"},
           {"log_a", "B,T,W"},
           {"normalized_x", "B,T,W"}}};
}

class RgLruSession final : public mixers::RecurrentSession {
 public:
  RgLruSession(const Binding& bound, const SessionOptions& options)
      : RecurrentSession(signature(bound),
                         form_index(options.form, {"recurrent", "chunked", "scan"}), 0) {
    options_.c = bound.number("c").value_or(options_.c);
    options_.chunk_size = bound.optional_size("chunk_size").value_or(options_.chunk_size);
    options_.precision = options.precision;
    convolve({"x"}, false);
  }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept{state("lru state", CacheRole::recurrent_state, {"initial_state"})};
    add_conv_state(kept);
    return kept;
  }

 private:
  Step run(Tensors& inputs, std::size_t form) override {
    Inputs in{take(inputs, "x"),
              IndexTensor(),
              take(inputs, "input_gate_w"),
              take(inputs, "input_gate_b"),
              take(inputs, "a_gate_w"),
              take(inputs, "a_gate_b"),
              take(inputs, "a_param"),
              take(inputs, "initial_state")};
    if (const IndexTensor* positions = inputs.find_ints("segment_pos")) in.segment_pos = *positions;
    Options options = options_;
    options.form = static_cast<Form>(form);
    auto r = rg_lru::run(in, options);
    return emit(std::move(r.counts), std::move(r.y), std::move(r.final_state), std::move(r.gate_x),
                std::move(r.gate_a), std::move(r.log_a), std::move(r.normalized_x));
  }

  Options options_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<RgLruSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{&signature,
                           &open,
                           "chunked",
                           "{kind: rg_lru, n_heads: 2, block_width: 3, conv_kernel: 3}",
                           "{kind: rg_lru, n_heads: 16, block_width: 128, conv_kernel: 4}",
                           "recurrent",
                           ""};
  return facet;
}

}  // namespace attnsim::rg_lru
