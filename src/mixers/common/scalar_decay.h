// Linear attention with a scalar log-decay per step, shared by lightning attention (constant
// g_γ per head, mixers-spec §7) and Mamba-2 SSD (g_t = Δ_t·A, §8 with q ← C, k ← B, v ← Δx):
//   S_t = exp(g_t) S_{t−1} + k_t v_tᵀ,   o_t = S_tᵀ q_t        (S [K, V], read after the update)
// Forms: token-by-token recurrence and the chunked (block) algorithm. Both read one head's rows
// in place from the [B, T, heads, dim] inputs and write its rows of the output, a chunk (or a
// token) at a time, so no head is copied whole.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/short_conv.h"

namespace attnsim::mixers {

// One head's rows of a [B, T, heads, dim] tensor: token t's `cols` values at first + t·stride.
// With a conv, the rows are its outputs for that tensor (bound part `part`, sequence b, the
// part's channels from `begin`), computed as they are loaded; first and stride then locate its
// inputs, which the loads prefetch.
struct HeadRows {
  const double* first = nullptr;
  std::int64_t stride = 0, cols = 0;
  const ShortConv* conv = nullptr;
  std::size_t part = 0;
  std::int64_t b = 0, begin = 0;
  const double* row(std::int64_t t) const { return first + t * stride; }
};
HeadRows head_rows(const Tensor& x, std::int64_t b, std::int64_t h);
// Head h of sequence b of the conv's bound part `part` ([B, T, heads, dim]), convolved.
HeadRows conv_rows(const ShortConv& conv, std::size_t part, std::int64_t b, std::int64_t h);

// Rows [t0, t0 + c) of a head (no conv) into the first rows.cols columns of `into` (sized by the
// caller), converted to its scalar and times `factor`. A head's rows are 1 KiB runs heads·dim
// apart, which the hardware prefetchers do not follow, so the rows the next load reads (`ahead`,
// its first c_ahead rows; none when null) and those the next store writes (`ahead_out`, if not
// null) are asked for meanwhile, and arrive while this chunk's products run.
template <class Matrix>
void load_head_rows(const HeadRows& rows, std::int64_t t0, std::int64_t c,
                    typename Matrix::Scalar factor, Matrix& into, const double* ahead,
                    std::int64_t c_ahead, const double* ahead_out = nullptr) {
  using S = typename Matrix::Scalar;
  for (std::int64_t i = 0; i < c; ++i) {
    if (ahead != nullptr && i < c_ahead)
      for (std::int64_t d = 0; d < rows.cols; d += 8) {
        __builtin_prefetch(ahead + i * rows.stride + d);
        if (ahead_out != nullptr) __builtin_prefetch(ahead_out + i * rows.stride + d, 1);
      }
    const double* src = rows.row(t0 + i);
    S* dst = into.row(i).data();
    for (std::int64_t d = 0; d < rows.cols; ++d) dst[d] = static_cast<S>(src[d]) * factor;
  }
}

// One head's rows of a [B, T, heads, dim] output.
struct HeadOutput {
  double* first = nullptr;
  std::int64_t stride = 0;
  double* row(std::int64_t t) const { return first + t * stride; }
};
HeadOutput head_output(Tensor& x, std::int64_t b, std::int64_t h);

// A per-token scalar of one head, factor · first[t·stride] (a [B, T, heads] tensor's entries
// for the head: stride = heads), or the constant `factor` when first is null.
struct TokenScalars {
  const double* first = nullptr;
  std::int64_t stride = 0;
  double factor = 1;
  double at(std::int64_t t) const { return first ? factor * first[t * stride] : factor; }
};

// One head's inputs: q_t = q_scale·q[t] [K], k_t = k[t] [K], v_t = v_scale_t·v[t] [V], log decay
// g_t; the output o_t gets skip·v[t] added (Mamba-2's D x_t; none when skip is 0).
struct DecayHead {
  HeadRows q, k, v;
  double q_scale = 1;
  TokenScalars v_scale, g;
  double skip = 0;
};

// Runs block(b, h0, h1, counts) for every sequence b < B and block [h0, h1) of ⌈H / threads⌉
// heads, one task each over the kernel threads, the tasks' counts added to `counts`. A block's
// heads run side by side (their rows are adjacent in [B, T, H, D]); the split changes no head's
// arithmetic.
void for_each_head_block(
    std::int64_t B, std::int64_t H, OpCounts& counts,
    const std::function<void(std::int64_t, std::int64_t, std::int64_t, OpCounts&)>& block);

// What the step after one of for_each_chunk_of_heads reads: head `head` from token t0, c tokens
// (the next head's same chunk, or the first head's next chunk); c = 0 after the last step.
struct NextChunk {
  std::size_t head = 0;
  std::int64_t t0 = 0, c = 0;
  // The first row the next step reads of `rows` (its head's HeadRows or HeadOutput); null when
  // there is no next step.
  template <class Rows>
  auto first_row(const Rows& rows) const -> decltype(rows.row(0)) {
    return c > 0 ? rows.row(t0) : nullptr;
  }
};
// step(i, t0, c, next) for chunk [t0, t0 + c) of each of `heads` heads in turn, then the next
// chunk: a block's heads side by side, so that their rows of a chunk (adjacent in [B, T, H, dim])
// are read together, each step prefetching what `next` reads while its own products run.
void for_each_chunk_of_heads(
    std::size_t heads, std::int64_t T, std::int64_t chunk_size,
    const std::function<void(std::size_t, std::int64_t, std::int64_t, const NextChunk&)>& step);

// Counts "state_update" (k vᵀ) and "readout" (Sᵀq), K·V each per token.
template <class S>
void scalar_decay_recurrent(const DecayHead& head, std::int64_t T, HeadMatrix<S>& state,
                            HeadOutput o, OpCounts& counts);

// q kᵀ per chunk of `chunk_size` tokens, for heads that share q and k (Mamba-2 groups): row t
// of the [T, chunk_size] result holds query t's scores against its chunk's keys (only j ≤ t is
// read). Counts "scores" c(c+1)/2·K per chunk of c tokens.
template <class S>
HeadMatrix<S> chunk_scores(HeadRows q, HeadRows k, std::int64_t T, std::int64_t chunk_size,
                           OpCounts& counts);

// Chunked form over heads side by side: each chunk of every head in turn, then the next chunk,
// so that the heads' rows of a chunk, adjacent in the [B, T, H, D] inputs, are read together.
// Head i's state is states[i], its output outputs[i]; with scores[i] null it computes each
// chunk's q kᵀ itself (counting "scores"). Per chunk of c tokens and head counts
// "intra_output" c(c+1)/2·V, "state_read" c·K·V (inter-chunk output) and "state_update" c·K·V.
// Each head's arithmetic does not depend on which heads it runs beside.
template <class S>
void scalar_decay_chunked(const std::vector<DecayHead>& heads, std::int64_t T,
                          const std::vector<const HeadMatrix<S>*>& scores, std::int64_t chunk_size,
                          std::vector<HeadMatrix<S>>& states,
                          const std::vector<HeadOutput>& outputs, OpCounts& counts);

// Multiply-adds of one head for the closed forms (same categories as above); the chunked
// "scores" term is returned separately because Mamba-2 shares it across a group's heads.
FlopCounts scalar_decay_flops_recurrent(std::int64_t K, std::int64_t V, std::int64_t T);
FlopCounts scalar_decay_flops_chunked(std::int64_t K, std::int64_t V, std::int64_t T,
                                      std::int64_t C);
FlopCounts chunk_score_flops(std::int64_t K, std::int64_t T, std::int64_t C);

}  // namespace attnsim::mixers
