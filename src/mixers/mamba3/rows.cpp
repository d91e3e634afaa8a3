// The elementwise passes of rows.h, compiled twice: for the build's width and for AVX2 (chosen
// at run time, as short_conv.cpp does). Without FMA each product and sum rounds as in the SSE2
// loops, so both give the same bits; no Eigen templates inside.
#include "mixers/mamba3/rows.h"

#include <cmath>

#include "mixers/common/avx2.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mamba3 {
namespace {

template <class S>
[[gnu::always_inline]] inline void rotate_loops(const RotatedRows<S>& a) {
  const std::int64_t N = a.N, half = N / 2;
  for (std::int64_t i = 0; i < a.c; ++i) {
    const S* cos = a.cos + i * a.angles;
    const S* sin = a.sin + i * a.angles;
    for (std::int64_t r = 0; r < a.R; ++r) {
      const double* in = a.in + i * a.token_stride + r * a.rank_stride;
      const S* bias = a.bias + r * N;
      S* x = a.out + (i * a.R + r) * N;
      for (std::int64_t n = 0; n < N; ++n) x[n] = static_cast<S>(in[n]) + bias[n];
      if (a.half) {
        S* lo = x;
        S* hi = x + half;
        for (std::int64_t j = 0; j < a.angles; ++j) {
          const S u = lo[j], w = hi[j];
          lo[j] = u * cos[j] - w * sin[j];
          hi[j] = u * sin[j] + w * cos[j];
        }
      } else {
        for (std::int64_t j = 0; j < a.angles; ++j) {
          const S u = x[2 * j], w = x[2 * j + 1];
          x[2 * j] = u * cos[j] - w * sin[j];
          x[2 * j + 1] = u * sin[j] + w * cos[j];
        }
      }
    }
  }
}

template <class S>
[[gnu::always_inline]] inline void scale_loops(const ScaledRows<S>& a) {
  for (std::int64_t i = 0; i < a.c; ++i) {
    const double* in = a.in + i * a.token_stride;
    for (std::int64_t r = 0; r < a.R; ++r) {
      const S* scale = a.scale + r * a.P;
      S* out = a.out + (i * a.R + r) * a.P;
      for (std::int64_t p = 0; p < a.P; ++p) out[p] = static_cast<S>(in[p]) * scale[p];
    }
  }
}

template <class S>
[[gnu::always_inline]] inline void finish_loops(const FinishedRows<S>& a) {
  const std::int64_t P = a.P, R = a.R, rows = a.c * R;
  if (a.z != nullptr) {  // silu(g) = g · 1/(1 + e^{−g}), the chunk's exps in one vector pass
    for (std::int64_t i = 0; i < a.c; ++i) {
      const double* z = a.z + i * a.token_stride;
      for (std::int64_t r = 0; r < R; ++r) {
        const S* mz = a.mimo_z + r * P;
        S* gate = a.gate + (i * R + r) * P;
        for (std::int64_t p = 0; p < P; ++p) gate[p] = -(static_cast<S>(z[p]) * mz[p]);
      }
    }
    mixers::exp_in_place(a.gate, rows * P);
    for (std::int64_t i = 0; i < a.c; ++i) {
      const double* z = a.z + i * a.token_stride;
      for (std::int64_t r = 0; r < R; ++r) {
        const S* mz = a.mimo_z + r * P;
        S* gate = a.gate + (i * R + r) * P;
        for (std::int64_t p = 0; p < P; ++p)
          gate[p] = static_cast<S>(z[p]) * mz[p] * (S{1} / (S{1} + gate[p]));
      }
    }
  }
  for (std::int64_t i = 0; i < a.c; ++i) {
    double* y = a.y + i * a.token_stride;
    for (std::int64_t r = 0; r < R; ++r) {
      S* o = a.o + (i * R + r) * a.o_stride;
      const S* v = a.v + (i * R + r) * P;
      for (std::int64_t p = 0; p < P; ++p) o[p] += a.skip * v[p];
      if (a.norm_weight != nullptr) {
        S mean_square{0};
        for (std::int64_t p = 0; p < P; ++p) mean_square += o[p] * o[p];
        mean_square /= static_cast<S>(P);
        const S inv_rms = S{1} / std::sqrt(mean_square + a.eps);
        for (std::int64_t p = 0; p < P; ++p) o[p] *= inv_rms * a.norm_weight[p];
      }
      if (a.z != nullptr) {
        const S* gate = a.gate + (i * R + r) * P;
        for (std::int64_t p = 0; p < P; ++p) o[p] *= gate[p];
      }
    }
    // y = Σ_r mimo_o[r] ⊙ o_r, summed from zero in rank order, in rank 0's row (a vector of
    // sums over p, where a sum per p over the ranks' strided rows would run a lane at a time).
    S* sum = a.o + i * R * a.o_stride;
    for (std::int64_t p = 0; p < P; ++p) sum[p] = S{0} + a.mimo_o[p] * sum[p];
    for (std::int64_t r = 1; r < R; ++r) {
      const S* o = sum + r * a.o_stride;
      for (std::int64_t p = 0; p < P; ++p) sum[p] += a.mimo_o[r * P + p] * o[p];
    }
    for (std::int64_t p = 0; p < P; ++p) y[p] = static_cast<double>(sum[p]);
  }
}

#if defined(ATTNSIM_AVX2_LOOPS)
__attribute__((target("avx2"))) void rotate_avx2(const RotatedRows<double>& a) { rotate_loops(a); }
__attribute__((target("avx2"))) void rotate_avx2(const RotatedRows<float>& a) { rotate_loops(a); }
__attribute__((target("avx2"))) void scale_avx2(const ScaledRows<double>& a) { scale_loops(a); }
__attribute__((target("avx2"))) void scale_avx2(const ScaledRows<float>& a) { scale_loops(a); }
__attribute__((target("avx2"))) void finish_avx2(const FinishedRows<double>& a) { finish_loops(a); }
__attribute__((target("avx2"))) void finish_avx2(const FinishedRows<float>& a) { finish_loops(a); }
#endif

}  // namespace

template <class S>
void rotated_rows(const RotatedRows<S>& a) {
#if defined(ATTNSIM_AVX2_LOOPS)
  if (mixers::cpu_has_avx2()) return rotate_avx2(a);
#endif
  rotate_loops(a);
}

template <class S>
void scaled_rows(const ScaledRows<S>& a) {
#if defined(ATTNSIM_AVX2_LOOPS)
  if (mixers::cpu_has_avx2()) return scale_avx2(a);
#endif
  scale_loops(a);
}

template <class S>
void finished_rows(const FinishedRows<S>& a) {
#if defined(ATTNSIM_AVX2_LOOPS)
  if (mixers::cpu_has_avx2()) return finish_avx2(a);
#endif
  finish_loops(a);
}

template void rotated_rows(const RotatedRows<double>&);
template void rotated_rows(const RotatedRows<float>&);
template void scaled_rows(const ScaledRows<double>&);
template void scaled_rows(const ScaledRows<float>&);
template void finished_rows(const FinishedRows<double>&);
template void finished_rows(const FinishedRows<float>&);

}  // namespace attnsim::mamba3
