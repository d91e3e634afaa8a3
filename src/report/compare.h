// Side-by-side comparison of architectures: layer ratio, global-attention share, KV bytes per
// token, state per sequence, KV + state at chosen contexts with the saving against the same
// model with full attention everywhere, and total/active parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cost/memory.h"
#include "graph/architecture.h"
#include "report/format.h"
#include "report/table.h"

namespace attnsim::report {

struct ComparisonRow {
  std::string name;
  std::string display_name;
  std::string ratio;         // "3:1 Gated DeltaNet : gated attention"
  std::string layer_counts;  // "36:12"
  double global_share = 0;   // layers whose KV grows without a cap / mixer layers
  std::uint64_t params_total = 0;
  std::uint64_t params_active = 0;
  MemoryReport memory;  // at the compared contexts, batch 1
};

ComparisonRow compare_architecture(const Architecture& architecture,
                                   const std::vector<std::uint64_t>& contexts);

// One row per architecture; memory columns in `unit`, one pair (total, saving) per context.
// The saving is 1 − total / (the same model with full attention everywhere), as in `kv`.
Table comparison_table(const std::vector<ComparisonRow>& rows, ByteUnit unit);
// The same content with exact integers (bytes, parameters) for scripts.
std::string comparison_json(const std::vector<ComparisonRow>& rows);

// 80'000'000'000 → "80.0B", 3'200'000'000 → "3.2B", 124'000'000 → "124M".
std::string format_params(std::uint64_t params);

}  // namespace attnsim::report
