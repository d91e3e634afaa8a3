// Closed-form core FLOPs and state size of Mamba-2 SSD (mixers-spec §8), for the cost model.
// Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::mamba2 {

struct Shapes {
  std::int64_t H = 1;  // heads (nheads)
  std::int64_t P = 1;  // head dim (headdim)
  std::int64_t N = 1;  // state dim (d_state)
  std::int64_t G = 1;  // B/C groups (n_groups), H % G == 0
};

// Token by token: update Δx Bᵀ and read-out h C, P·N multiply-adds each per head → 4·H·P·N
// FLOPs per token (decay scaling and the D skip are elementwise, not counted).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (last one shorter): C Bᵀ once per group, c(c+1)/2·N per chunk; per head
// c(c+1)/2·P intra-chunk, c·P·N inter-chunk output and c·P·N state update
// → ≈ H·(4·P·N + C·P) + G·C·N FLOPs per token.
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// SSM state per sequence: H·P·N elements (conv state not included).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::mamba2
