// Closed-form core FLOPs and state size of lightning attention (mixers-spec §7), for the cost
// model. Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::lightning {

struct Shapes {
  std::int64_t H = 1;  // heads
  std::int64_t K = 1;  // key head dim
  std::int64_t V = 1;  // value head dim
};

// Token by token: update k vᵀ and read-out Sᵀq, K·V multiply-adds each → 4·H·K·V FLOPs per
// token (the decay scaling, K·V multiplies, is not counted).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (last one shorter), per chunk of c tokens and head: scores c(c+1)/2·K,
// intra-chunk output c(c+1)/2·V, inter-chunk output c·K·V, state update c·K·V
// → ≈ H·(4·K·V + C·(K+V)) FLOPs per token.
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// State per sequence: H·K·V elements.
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::lightning
