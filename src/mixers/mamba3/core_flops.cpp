// Closed-form core FLOPs and state sizes of Mamba-3 (mixers-spec-new §A "Cost").
#include "mixers/mamba3/core_flops.h"

#include <algorithm>
#include <cmath>

namespace attnsim::mamba3 {

std::int64_t rope_angles(std::int64_t N, double rope_fraction) {
  std::int64_t split =
      static_cast<std::int64_t>(std::floor(static_cast<double>(N) * rope_fraction));
  if (split % 2 != 0) --split;
  return split / 2;
}

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  const double per_head_token =
      static_cast<double>(shapes.R) * static_cast<double>(shapes.P * shapes.N);  // R·P·N
  const double heads_tokens = static_cast<double>(shapes.H) * static_cast<double>(T);
  FlopCounts flops;
  add_macs(flops, "state_update", 2.0 * per_head_token * heads_tokens);
  add_macs(flops, "readout", per_head_token * heads_tokens);
  return flops;
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  const auto R = static_cast<double>(shapes.R);
  const auto PN = static_cast<double>(shapes.P * shapes.N);
  double update = 0, read = 0, pairs = 0;  // per head
  for (std::int64_t start = 0; start < T; start += C) {
    const auto c = static_cast<double>(std::min(C, T - start));
    update += R * PN * (1.0 + c);  // pending half-step, then the chunk's end state
    read += c * R * PN;
    pairs += R * R * c * (c + 1.0) / 2.0;  // fused rows (t, a) against (s, b), s ≤ t
  }
  const auto H = static_cast<double>(shapes.H);
  FlopCounts flops;
  add_macs(flops, "state_update", H * update);
  add_macs(flops, "state_read", H * read);
  add_macs(flops, "scores", H * pairs * static_cast<double>(shapes.N));
  add_macs(flops, "intra_output", H * pairs * static_cast<double>(shapes.P));
  return flops;
}

std::int64_t ssm_state_elements(const Shapes& s) { return s.H * s.P * s.N; }
std::int64_t angle_state_elements(const Shapes& s) { return s.H * s.S; }
std::int64_t k_state_elements(const Shapes& s) { return s.R * s.H * s.N; }
std::int64_t v_state_elements(const Shapes& s) { return s.H * s.P; }
std::int64_t state_elements(const Shapes& s) {
  return ssm_state_elements(s) + angle_state_elements(s) + k_state_elements(s) +
         v_state_elements(s);
}

}  // namespace attnsim::mamba3
