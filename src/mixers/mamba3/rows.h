// The Mamba-3 kernels' elementwise passes over one chunk's fused (token, rank) rows: the biased
// and rotated q and k, the up-projected v, and the output's skip, norm, gate and down-projection.
// Plain loops over raw rows, run at AVX2 width where the CPU has it (same bits as SSE2: no FMA).
#pragma once

#include <cstdint>

namespace attnsim::mamba3 {

// out[i·R + r] = Rot(in_{i,r} + bias[r], Θ_i) for c tokens i and R ranks r: pairs j < angles
// (j, j + N/2) if half, else (2j, 2j + 1), turned by (a, b) ↦ (a cos − b sin, a sin + b cos).
template <class S>
struct RotatedRows {
  const double* in;  // token i, rank r at in + i·token_stride + r·rank_stride
  std::int64_t token_stride, rank_stride;
  const S* bias;       // [R, N]
  const S *cos, *sin;  // [c, angles] of Θ_i
  std::int64_t c, R, N, angles;
  bool half;
  S* out;  // [c·R, N]
};

// out[i·R + r] = in_i ⊙ scale[r] (v = x ⊙ mimo_v[r]).
template <class S>
struct ScaledRows {
  const double* in;  // token i at in + i·token_stride
  std::int64_t token_stride;
  const S* scale;  // [R, P]
  std::int64_t c, R, P;
  S* out;  // [c·R, P]
};

// For c tokens: o_r += skip·v_r; with a norm weight o_r ← o_r / sqrt(mean(o_r²) + eps) ⊙ w;
// with z o_r ⊙= silu(z ⊙ mimo_z[r]); y = Σ_r mimo_o[r] ⊙ o_r.
template <class S>
struct FinishedRows {
  S* o;  // [c·R, P] at row stride o_stride, finished in place
  std::int64_t o_stride;
  const S* v;       // [c·R, P]
  const double* z;  // token i at z + i·token_stride, or null (no gate)
  std::int64_t token_stride;
  const S *mimo_z, *mimo_o;  // [R, P]
  const S* norm_weight;      // [P], or null (no norm)
  S skip, eps;
  std::int64_t c, R, P;
  S* gate;    // [c·R, P] scratch
  double* y;  // token i at y + i·token_stride
};

// Defined for double and float.
template <class S>
void rotated_rows(const RotatedRows<S>& a);
template <class S>
void scaled_rows(const ScaledRows<S>& a);
template <class S>
void finished_rows(const FinishedRows<S>& a);

}  // namespace attnsim::mamba3
