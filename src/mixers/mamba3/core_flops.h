// Closed-form core FLOPs and decode state of Mamba-3 (mixers-spec-new §A "Cost"), for the cost
// model. Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::mamba3 {

struct Shapes {
  std::int64_t H = 1;  // heads (nheads = d_inner / headdim)
  std::int64_t P = 1;  // head dim (headdim)
  std::int64_t N = 1;  // state dim (d_state)
  std::int64_t G = 1;  // B/C groups (ngroups), H % G == 0
  std::int64_t R = 1;  // MIMO rank (1 = SISO)
  std::int64_t S = 1;  // rotation angles per head (num_rope_angles)
};

// S = split / 2, split = ⌊N · rope_fraction⌋ lowered to even (mamba_ssm Mamba3.__init__):
// N/4 for rope_fraction 0.5, N/2 for 1.0 (N a multiple of 4).
std::int64_t rope_angles(std::int64_t N, double rope_fraction);

// Token by token, per head: the two rank-R updates β·Σ_r v_{t−1,r} k̂_{t−1,r}ᵀ and
// γ·Σ_r v_{t,r} k̂_{t,r}ᵀ ("state_update", 2R·P·N multiply-adds) and the read-out of R queries
// ("readout", R·P·N) → 6R·H·P·N FLOPs per token. The decay α·h (P·N multiplies) is elementwise
// and not counted, as in mamba2 (the spec's (1 + 6R) counts it as P·N FLOPs).
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T);

// Chunks of C (the last one shorter), per head and chunk of c tokens: the previous token's
// pending half-step into the chunk's start state (R·P·N, "state_update"), the inter-chunk
// read-out of c·R query rows ("state_read", c·R·P·N), the causal scores q̂·k̂ over the fused
// (token, rank) rows (s ≤ t: R²·c(c+1)/2·N, "scores") and their product with V
// (R²·c(c+1)/2·P, "intra_output"), and the chunk's end state (c·R·P·N, "state_update")
// → ≈ H·[4R·P·N + R²(C+1)(N+P) + 2R·P·N/C] FLOPs per token.
FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C);

// Decode state per sequence, in elements (mamba_ssm Mamba3.allocate_inference_cache).
std::int64_t ssm_state_elements(const Shapes& shapes);    // H·P·N (fp32 in mamba_ssm)
std::int64_t angle_state_elements(const Shapes& shapes);  // H·S (fp32)
std::int64_t k_state_elements(const Shapes& shapes);      // R·H·N (model dtype)
std::int64_t v_state_elements(const Shapes& shapes);      // H·P (model dtype)
std::int64_t state_elements(const Shapes& shapes);        // the sum of the four

}  // namespace attnsim::mamba3
