// Side-by-side comparison of architectures rendered: layer ratio, global-attention share, KV
// bytes per token, state per sequence, KV + state at chosen contexts with the saving against the
// same model with full attention everywhere, and total/active parameters (cost/comparison.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cost/comparison.h"
#include "report/format.h"
#include "report/table.h"

namespace attnsim::report {

// One row per architecture; memory columns in `unit`, one pair (total, saving) per context.
// The saving is 1 − total / (the same model with full attention everywhere), as in `kv`.
Table comparison_table(const std::vector<ComparisonRow>& rows, ByteUnit unit);
// The same content with exact integers (bytes, parameters) for scripts.
std::string comparison_json(const std::vector<ComparisonRow>& rows,
                            std::string_view command = "compare");

// 80'000'000'000 → "80.0B", 3'200'000'000 → "3.2B", 124'000'000 → "124M".
std::string format_params(std::uint64_t params);

}  // namespace attnsim::report
