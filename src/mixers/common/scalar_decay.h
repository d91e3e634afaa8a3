// Linear attention with a scalar log-decay per step, shared by lightning attention (constant
// g_γ per head, mixers-spec §7) and Mamba-2 SSD (g_t = Δ_t·A, §8 with q ← C, k ← B, v ← Δx):
//   S_t = exp(g_t) S_{t−1} + k_t v_tᵀ,   o_t = S_tᵀ q_t        (S [K, V], read after the update)
// Forms: token-by-token recurrence and the chunked (block) algorithm.
#pragma once

#include <cstdint>
#include <vector>

#include "core/op_counts.h"
#include "mixers/common/head_matrix.h"

namespace attnsim::mixers {

template <class S>
struct DecayHead {
  HeadMatrix<S> q;   // [T, K] (any scale already applied)
  HeadMatrix<S> k;   // [T, K]
  HeadMatrix<S> v;   // [T, V]
  std::vector<S> g;  // [T] natural-log decays
};

// Counts "state_update" (k vᵀ) and "readout" (Sᵀq), K·V each per token.
template <class S>
HeadMatrix<S> scalar_decay_recurrent(const DecayHead<S>& head, HeadMatrix<S>& state,
                                     OpCounts& counts);

// Per chunk, the lower triangle of q kᵀ [c, c] (j ≤ i). Separate so that heads sharing q and k
// (Mamba-2 groups) compute it once: "scores" c(c+1)/2·K per chunk.
template <class S>
std::vector<HeadMatrix<S>> chunk_scores(const HeadMatrix<S>& q, const HeadMatrix<S>& k,
                                        std::int64_t chunk_size, OpCounts& counts);

// Chunked form given the chunk scores; per chunk of c tokens counts "intra_output"
// c(c+1)/2·V, "state_read" c·K·V (inter-chunk output) and "state_update" c·K·V.
template <class S>
HeadMatrix<S> scalar_decay_chunked(const DecayHead<S>& head,
                                   const std::vector<HeadMatrix<S>>& scores,
                                   std::int64_t chunk_size, HeadMatrix<S>& state, OpCounts& counts);

// Multiply-adds of one head for the closed forms (same categories as above); the chunked
// "scores" term is returned separately because Mamba-2 shares it across a group's heads.
FlopCounts scalar_decay_flops_recurrent(std::int64_t K, std::int64_t V, std::int64_t T);
FlopCounts scalar_decay_flops_chunked(std::int64_t K, std::int64_t V, std::int64_t T,
                                      std::int64_t C);
FlopCounts chunk_score_flops(std::int64_t K, std::int64_t T, std::int64_t C);

}  // namespace attnsim::mixers
