// Closed-form core FLOPs of the RG-LRU (mixers-spec-recurrent §11 "Cost").
#include "mixers/rg_lru/core_flops.h"

#include <algorithm>

namespace attnsim::rg_lru {

FlopCounts gate_flops(const Shapes& shapes, std::int64_t T) {
  FlopCounts flops;
  add_macs(flops, "gates",
           2.0 * static_cast<double>(T) * static_cast<double>(shapes.W * (shapes.W / shapes.H)));
  return flops;
}

FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  FlopCounts flops = gate_flops(shapes, T);
  add_macs(flops, "state_update", static_cast<double>(T) * static_cast<double>(shapes.W));
  return flops;
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  FlopCounts flops = gate_flops(shapes, T);
  double pairs = 0;
  for (std::int64_t start = 0; start < T; start += C) {
    const auto c = static_cast<double>(std::min(C, T - start));
    pairs += c * (c + 1) / 2;
  }
  add_macs(flops, "intra_output", pairs * static_cast<double>(shapes.W));
  add_macs(flops, "state_read", static_cast<double>(T) * static_cast<double>(shapes.W));
  return flops;
}

FlopCounts core_flops_scan(const Shapes& shapes, std::int64_t T) {
  FlopCounts flops = gate_flops(shapes, T);
  double combinations = 0;
  for (std::int64_t offset = 1; offset < T; offset *= 2)
    combinations += static_cast<double>(T - offset);
  add_macs(flops, "scan", combinations * static_cast<double>(shapes.W));
  add_macs(flops, "state_read", static_cast<double>(T) * static_cast<double>(shapes.W));
  return flops;
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.W; }

}  // namespace attnsim::rg_lru
