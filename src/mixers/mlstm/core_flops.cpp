// Closed-form core FLOPs of the mLSTM cell (mixers-spec-recurrent §14 "Cost").
#include "mixers/mlstm/core_flops.h"

#include <algorithm>

namespace attnsim::mlstm {

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  const double per_token =
      static_cast<double>(T * shapes.NH) * static_cast<double>(shapes.DK * shapes.DV + shapes.DK);
  FlopCounts flops;
  add_macs(flops, "state_update", per_token);
  add_macs(flops, "readout", per_token);
  return flops;
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  double pairs = 0;  // Σ over chunks of c(c+1)/2
  for (std::int64_t start = 0; start < T; start += C) {
    const auto c = static_cast<double>(std::min(C, T - start));
    pairs += c * (c + 1) / 2;
  }
  const auto NH = static_cast<double>(shapes.NH);
  const double state =
      static_cast<double>(T) * static_cast<double>(shapes.DK * shapes.DV + shapes.DK);
  FlopCounts flops;
  add_macs(flops, "scores", NH * pairs * static_cast<double>(shapes.DK));
  add_macs(flops, "intra_output", NH * pairs * static_cast<double>(shapes.DV + 1));
  add_macs(flops, "state_read", NH * state);
  add_macs(flops, "state_update", NH * state);
  return flops;
}

std::int64_t state_elements(const Shapes& shapes) {
  return shapes.NH * (shapes.DK * shapes.DV + shapes.DK + 1);
}

}  // namespace attnsim::mlstm
