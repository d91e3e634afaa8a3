// Closed-form core FLOPs and state size of Gated DeltaNet (Qwen3-Next linear layers), mixers-spec
// §5. Pure functions of shapes for the cost model; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::gated_deltanet {

struct Shapes {
  std::int64_t H = 1;   // q/k heads
  std::int64_t HV = 1;  // value heads (GVA: HV % H == 0)
  std::int64_t K = 1;   // key head dim
  std::int64_t V = 1;   // value head dim
};

// One sequence of T tokens, token by token: 3 multiply-adds per state element and token
// (prediction Sᵀk, update k uᵀ, read-out Sᵀq) → 6·HV·K·V FLOPs per token (the decay scaling,
// K·V multiplies, is elementwise and not counted).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// One sequence of T tokens in chunks of C (the last one shorter): per chunk of c tokens and
// value head, c(c+1)/2·(K+V) + c(c−1)/2·(K+V) + 3·c·K·V multiply-adds
// → ≈ HV·(6·K·V + 2·C·(K+V)) FLOPs per token.
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// Recurrent state per sequence: HV·K·V elements (short-conv state not included).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::gated_deltanet
