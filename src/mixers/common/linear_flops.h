// The prefill core FLOPs of a linear/recurrent mixer whose core has a chunked and a recurrent
// form, in the algorithm FlopContext::linear names. Each kind supplies its core's shapes and
// core_flops_chunked / core_flops_recurrent in its own namespace (found by argument-dependent
// lookup on the shapes).
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "mixers/mixer.h"

namespace attnsim {

template <class Shapes>
FlopCounts linear_core_flops(const FlopContext& context, std::uint64_t tokens,
                             const Shapes& shapes) {
  const auto T = static_cast<std::int64_t>(tokens);
  return context.linear == LinearAlgorithm::chunked
             ? core_flops_chunked(shapes, T, static_cast<std::int64_t>(context.chunk))
             : core_flops_recurrent(shapes, T);
}

// A mixer made of per-token outer work around such a core: prefill runs the core in the
// algorithm FlopContext::linear names, decode one recurrent step. The outer work is the
// projections and the depthwise conv where the kind has one.
template <class Shapes>
class LinearCoreMixer : public Mixer {
 public:
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const final {
    return combined(outer_flops(context.d_model, static_cast<double>(tokens)),
                    linear_core_flops(context, tokens, core_shapes()));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t) const final {
    return combined(outer_flops(context.d_model, 1.0), core_flops_recurrent(core_shapes(), 1));
  }

 protected:
  virtual Shapes core_shapes() const = 0;

 private:
  FlopCounts outer_flops(std::uint64_t d_model, double tokens) const {
    return projection_and_conv_flops(params({d_model}), tokens);
  }
};

}  // namespace attnsim
