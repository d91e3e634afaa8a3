// Closed-form core FLOPs of lightning attention (mixers-spec §7 "Cost").
#include "mixers/lightning/core_flops.h"

#include "mixers/common/scalar_decay.h"

namespace attnsim::lightning {

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  return scaled(mixers::scalar_decay_flops_recurrent(shapes.K, shapes.V, T),
                static_cast<double>(shapes.H));
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  return scaled(combined(mixers::scalar_decay_flops_chunked(shapes.K, shapes.V, T, C),
                         mixers::chunk_score_flops(shapes.K, T, C)),
                static_cast<double>(shapes.H));
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.H * shapes.K * shapes.V; }

}  // namespace attnsim::lightning
