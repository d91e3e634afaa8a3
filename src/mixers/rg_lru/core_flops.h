// Closed-form core FLOPs and state size of the RG-LRU (mixers-spec-recurrent §11), for the cost
// model. Pure functions of shapes; one multiply-add = 2 FLOPs; sigmoids, exps, square roots and
// elementwise products (gate_x ⊙ x, m ⊙ …, the scan's A₂A₁) are not counted.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::rg_lru {

struct Shapes {
  std::int64_t W = 1;  // lru_width
  std::int64_t H = 1;  // gate blocks (num_attention_heads); block width bw = W / H
};

// The two block-diagonal gates: x_h · W[h] for gate_x and gate_a, W·bw multiply-adds each →
// 4·W·bw FLOPs per token (every form).
FlopCounts gate_flops(const Shapes& shapes, std::int64_t T);

// Token by token: h = ã ⊙ h + x̃, one multiply-add per channel → 2·W per token (+ gates).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (last one shorter), per chunk of c and channel: the intra-chunk weighted sum
// c(c+1)/2 and the start state's term c → ≈ (C + 1)·W + 2·W FLOPs per token (+ gates).
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// Hillis–Steele scan: at offset 2^l, T − 2^l combinations A₂X₁ + X₂ per channel, then y = X + A h₀
// → W·(Σ_{2^l < T} (T − 2^l) + T) multiply-adds per sequence (+ gates).
FlopCounts core_flops_scan(const Shapes& shapes, std::int64_t T);

// Recurrent state per sequence: W elements (the conv state is counted by the kind).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::rg_lru
