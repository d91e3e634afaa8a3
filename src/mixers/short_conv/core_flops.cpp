// Closed-form core FLOPs of the LFM2 short convolution (mixers-spec-recurrent §12 "Cost").
#include "mixers/short_conv/core_flops.h"

namespace attnsim::short_conv {

FlopCounts core_flops_conv(const Shapes& shapes, std::int64_t T) {
  FlopCounts flops;
  add_macs(flops, "conv", static_cast<double>(T) * static_cast<double>(shapes.L * shapes.D));
  return flops;
}

FlopCounts core_flops_toeplitz(const Shapes& shapes, std::int64_t T) {
  FlopCounts flops;
  add_macs(flops, "conv",
           static_cast<double>(T) * static_cast<double>(T + shapes.L - 1) *
               static_cast<double>(shapes.D));
  return flops;
}

std::int64_t state_elements(const Shapes& shapes) { return (shapes.L - 1) * shapes.D; }

}  // namespace attnsim::short_conv
