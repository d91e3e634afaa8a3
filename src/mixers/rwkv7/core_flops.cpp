// Closed-form core FLOPs of the RWKV-7 WKV7 kernel (mixers-spec-recurrent §13 "Cost").
#include "mixers/rwkv7/core_flops.h"

#include <algorithm>

namespace attnsim::rwkv7 {

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  const double per_token = static_cast<double>(T * shapes.H * shapes.K * shapes.V);
  FlopCounts flops;
  add_macs(flops, "state_read", per_token);
  add_macs(flops, "state_update", 2 * per_token);
  add_macs(flops, "readout", per_token);
  return flops;
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  const auto H = static_cast<double>(shapes.H), K = static_cast<double>(shapes.K),
             V = static_cast<double>(shapes.V);
  double squares = 0;  // Σ over chunks of c²
  for (std::int64_t start = 0; start < T; start += C) {
    const auto c = static_cast<double>(std::min(C, T - start));
    squares += c * c;
  }
  const auto tokens = static_cast<double>(T);
  FlopCounts flops;
  // c(c−1)/2·2 + c(c+1)/2·2 = 2c² pairs of K; solve c(c−1)·V; output c(c+1)·V.
  add_macs(flops, "intra_scores", H * 2 * squares * K);
  add_macs(flops, "solve", H * (squares - tokens) * V);
  add_macs(flops, "intra_output", H * (squares + tokens) * V);
  add_macs(flops, "state_read", H * 2 * tokens * K * V);
  add_macs(flops, "state_update", H * 2 * tokens * K * V);
  return flops;
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.H * shapes.K * shapes.V; }

}  // namespace attnsim::rwkv7
