// Closed-form core FLOPs of Mamba-2 SSD (mixers-spec §8 "Cost"): the scalar-decay kernel with
// K = N (B/C) and V = P (x).
#include "mixers/mamba2/core_flops.h"

#include "mixers/common/scalar_decay.h"

namespace attnsim::mamba2 {

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  return scaled(mixers::scalar_decay_flops_recurrent(shapes.N, shapes.P, T),
                static_cast<double>(shapes.H));
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  return combined(scaled(mixers::scalar_decay_flops_chunked(shapes.N, shapes.P, T, C),
                         static_cast<double>(shapes.H)),
                  scaled(mixers::chunk_score_flops(shapes.N, T, C), static_cast<double>(shapes.G)));
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.H * shapes.P * shapes.N; }

}  // namespace attnsim::mamba2
