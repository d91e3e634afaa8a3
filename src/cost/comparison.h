// The numbers of a side-by-side comparison of architectures (report/compare.h renders them):
// layer ratio, global-attention share, total/active parameters, KV + state at chosen contexts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cost/memory.h"
#include "graph/architecture.h"

namespace attnsim {

struct ComparisonRow {
  std::string name;
  std::string display_name;
  std::string ratio;         // "3:1 Gated DeltaNet : gated attention"
  std::string layer_counts;  // "36:12"
  double global_share = 0;   // layers whose KV grows without a cap / mixer layers
  std::uint64_t params_total = 0;
  std::uint64_t params_active = 0;
  MemoryReport memory;              // at the compared contexts and batch
  bool params_lower_bound = false;  // the file lists unknown_params: the counts are "≥"
};

ComparisonRow compare_architecture(const Architecture& architecture,
                                   const std::vector<std::uint64_t>& contexts,
                                   std::uint64_t batch = 1);

}  // namespace attnsim
