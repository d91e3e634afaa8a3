// Closed-form core FLOPs of the Mamba-1 selective scan: d_inner·N multiply-adds per token for
// the state update and as many for the read-out.
#include "mixers/mamba1/core_flops.h"

namespace attnsim::mamba1 {

FlopCounts core_flops(const Shapes& shapes, std::int64_t T) {
  const double per_token = static_cast<double>(shapes.d_inner) * static_cast<double>(shapes.N);
  FlopCounts flops;
  add_macs(flops, "state_update", static_cast<double>(T) * per_token);
  add_macs(flops, "readout", static_cast<double>(T) * per_token);
  return flops;
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.d_inner * shapes.N; }

}  // namespace attnsim::mamba1
