// The session of a linear/SSM core (mixers/reference.h), shared by the recurrent kinds: it keeps
// the prefill's layer tensors, carries every state (an output final_X is the next step's input
// initial_X when the signature declares one) and runs the short conv in front of the core, so
// that a kind writes only one call of its core and what it keeps.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mixers/common/short_conv.h"
#include "mixers/mixer.h"

namespace attnsim::mixers {

class RecurrentSession : public reference::Session {
 public:
  // The prefill runs form `form`, every later step `decode_form` (the recurrence); both index
  // the kind's forms.
  RecurrentSession(reference::Signature signature, std::size_t form, std::size_t decode_form);
  reference::Step prefill(const reference::Tensors& inputs) final;
  reference::Step decode(const reference::Tensors& inputs) final;

 protected:
  // One call of the core in `form` on the step's tensors (after the conv; the others are
  // read-only views of the step's inputs, not copied), the prefill's layer tensors and the
  // carried initial_* states, all of which the core may move out (reference::take) for the call.
  virtual reference::Step run(reference::Tensors& inputs, std::size_t form) = 0;
  // A step of `counts` whose outputs are `tensors`, named by the signature's outputs in order.
  template <class... Outputs>
  reference::Step emit(OpCounts counts, Outputs&&... tensors) const {
    reference::Step step{{}, std::move(counts)};
    std::size_t i = 0;
    (step.outputs.add(signature_.outputs.at(i++).name, std::forward<Outputs>(tensors)), ...);
    return step;
  }
  // With the layer input `conv_weight` [C, k], the step inputs `names` pass through a depthwise
  // causal conv over their channels side by side (in this order), with SiLU after it or not.
  void convolve(std::vector<std::string> names, bool silu = true);
  // As convolve, but the core runs the conv itself as it loads its inputs (ShortConv::rows):
  // run() gets the step inputs `names` as they come, and conv() bound to them (null when the
  // layer has no conv weights); the session moves the conv state on after the call.
  void convolve_in_core(std::vector<std::string> names, bool silu = true);
  const ShortConv* conv() const { return conv_in_core_ && conv_ ? &*conv_ : nullptr; }
  // Elements of the carried tensors `names` (after a step: the states it left).
  std::int64_t held(std::initializer_list<std::string_view> names) const;
  const reference::Tensors& carried() const { return carried_; }
  // A state of `role` named `name` (the Mixer's cache term) of the carried `tensors`.
  reference::Kept state(std::string name, CacheRole role,
                        std::initializer_list<std::string_view> tensors) const;
  // The conv state (`name`, conv_state), when the session has a conv.
  void add_conv_state(std::vector<reference::Kept>& kept, std::string name = "conv state") const;

 private:
  reference::Step step(const reference::Tensors& inputs, std::size_t form);

  reference::Signature signature_;
  std::size_t form_, decode_form_;
  std::vector<std::string> conv_inputs_;
  bool conv_silu_ = true, conv_in_core_ = false;
  std::optional<ShortConv> conv_;
  reference::Tensors carried_;  // layer tensors and states
};

}  // namespace attnsim::mixers
