// Closed-form core FLOPs and state size of the RWKV-7 WKV7 kernel (mixers-spec-recurrent §13),
// for the cost model. Pure functions of shapes; one multiply-add = 2 FLOPs; the decay products
// diag(e^g)·S and the exps are not counted.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::rwkv7 {

struct Shapes {
  std::int64_t H = 1;  // heads
  std::int64_t K = 1;  // key head size (N)
  std::int64_t V = 1;  // value head size (N)
};

// Token by token, per head: sa = aᵀS (K·V), update b saᵀ + k vᵀ (2·K·V), read-out Sᵀr (K·V)
// → 8·H·K·V FLOPs per token (the spec's 9·H·N² adds the decay multiplies).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (last one shorter), per chunk of c and head: the four intra-chunk matrices
// A_ab, A_ak (c(c−1)/2 pairs), A_rb, A_rk (c(c+1)/2 pairs) of K each; the start state's terms
// (a ⊙ e^{G'})S₀ and (r ⊙ e^G)S₀, c·K·V each; the solve A_ak V + A_ab U, c(c−1)·V; the output
// A_rk V + A_rb U, c(c+1)·V; the state update with k and b, 2·c·K·V
// → ≈ H·(8·K·V + 4·C·K + 4·C·V) FLOPs per token (the spec's H(8N² + 8CN)).
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// WKV state per sequence: H·K·V elements (the token shift is counted by the kind).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::rwkv7
