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

}  // namespace attnsim
