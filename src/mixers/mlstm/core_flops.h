// Closed-form core FLOPs and state size of the xLSTM mLSTM cell (mixers-spec-recurrent §14),
// for the cost model. Pure functions of shapes; one multiply-add = 2 FLOPs; gate soft-caps,
// exps, the max stabiliser, decay products and the division are not counted.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::mlstm {

struct Shapes {
  std::int64_t NH = 1;  // heads
  std::int64_t DK = 1;  // q/k head dim
  std::int64_t DV = 1;  // v head dim
};

// Token by token, per head: C += e^ĩ k vᵀ and n += e^ĩ k (DK·DV + DK), read-out Cᵀq and nᵀq
// (DK·DV + DK) → 4·NH·(DK·DV + DK) FLOPs per token (the spec's NH(5·DK·DV + 6·DK + DV) adds
// the decay products and the division).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (last one shorter; the parallel form is one chunk of T), per chunk of c and head:
// scores q·k c(c+1)/2·DK, intra-chunk output c(c+1)/2·DV and normaliser c(c+1)/2, the start
// state's terms c·(DK·DV + DK), the chunk-end state c·(DK·DV + DK)
// → ≈ NH·(4·DK·DV + (DK + DV + 1)(C + 1) + 4·DK) FLOPs per token.
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// State per sequence: C, n and m, NH·(DK·DV + DK + 1) elements.
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::mlstm
