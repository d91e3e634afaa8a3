// Run-time choice between glibc's AVX2 vector exp and Eigen's (see vector_exp.h). Only the two
// small loops below are compiled for AVX2; they use intrinsics and libmvec, no Eigen templates,
// so no AVX2 code can be shared with the rest of the binary.
#include "mixers/common/vector_exp.h"

#include <Eigen/Core>
#include <cmath>

#if defined(ATTNSIM_HAVE_LIBMVEC)
#include <immintrin.h>

// glibc's libmvec, AVX2 variants ("d" in the vector-function ABI): exp of 4 doubles, 8 floats.
// Declared for AVX2 too: clang refuses a 256-bit vector argument to a function compiled without
// AVX, as the argument would be passed in memory instead of a register.
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d x);
extern "C" __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_expf(__m256 x);
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_sin(__m256d x);
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_cos(__m256d x);
extern "C" __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_sinf(__m256 x);
extern "C" __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_cosf(__m256 x);
#if defined(ATTNSIM_HAVE_LIBMVEC_EXPM1)
extern "C" __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_expm1(__m256d x);
extern "C" __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_expm1f(__m256 x);
#endif
#endif

namespace attnsim::mixers {
namespace {

template <class S>
void eigen_exp(S* x, std::int64_t n) {
  Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>> values(x, n);
  values = values.exp();
}

#if defined(ATTNSIM_HAVE_LIBMVEC)
const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");

// libmvec hands every lane outside its fast range (|x| beyond about 708 for double, 87.3 for
// float, −∞ included) to the scalar exp, one lane at a time, which made masked softmax rows (−∞)
// and wide float32 score ranges several times slower. Lanes below kFlush are set to 0 instead
// (e^x < DBL_MIN or FLT_MIN there, the result the scalar exp rounds to or a subnormal beside it)
// and the vector exp sees 0 in their place.
constexpr double kFlushDouble = -708.0;
constexpr float kFlushFloat = -87.0f;

__attribute__((target("avx2,fma"))) __m256d exp_or_zero(__m256d v) {
  const __m256d keep = _mm256_cmp_pd(v, _mm256_set1_pd(kFlushDouble), _CMP_NLT_UQ);  // or NaN
  return _mm256_and_pd(_ZGVdN4v_exp(_mm256_and_pd(v, keep)), keep);
}

__attribute__((target("avx2,fma"))) __m256 exp_or_zero(__m256 v) {
  const __m256 keep = _mm256_cmp_ps(v, _mm256_set1_ps(kFlushFloat), _CMP_NLT_UQ);
  return _mm256_and_ps(_ZGVdN8v_expf(_mm256_and_ps(v, keep)), keep);
}

__attribute__((target("avx2,fma"))) void avx2_exp(double* x, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, exp_or_zero(_mm256_loadu_pd(x + i)));
  if (i < n) {  // the last 1–3 values through a padded vector
    alignas(32) double tail[4] = {0, 0, 0, 0};
    for (std::int64_t j = i; j < n; ++j) tail[j - i] = x[j];
    _mm256_store_pd(tail, exp_or_zero(_mm256_load_pd(tail)));
    for (std::int64_t j = i; j < n; ++j) x[j] = tail[j - i];
  }
}

__attribute__((target("avx2,fma"))) void avx2_exp(float* x, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp_or_zero(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::int64_t j = i; j < n; ++j) tail[j - i] = x[j];
    _mm256_store_ps(tail, exp_or_zero(_mm256_load_ps(tail)));
    for (std::int64_t j = i; j < n; ++j) x[j] = tail[j - i];
  }
}

#if defined(ATTNSIM_HAVE_LIBMVEC_EXPM1)
// The same loops over libmvec's expm1 (the padding lanes compute expm1(0) = 0, unused).
__attribute__((target("avx2,fma"))) void avx2_expm1(double* x, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _ZGVdN4v_expm1(_mm256_loadu_pd(x + i)));
  if (i < n) {
    alignas(32) double tail[4] = {0, 0, 0, 0};
    for (std::int64_t j = i; j < n; ++j) tail[j - i] = x[j];
    _mm256_store_pd(tail, _ZGVdN4v_expm1(_mm256_load_pd(tail)));
    for (std::int64_t j = i; j < n; ++j) x[j] = tail[j - i];
  }
}

__attribute__((target("avx2,fma"))) void avx2_expm1(float* x, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _ZGVdN8v_expm1f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::int64_t j = i; j < n; ++j) tail[j - i] = x[j];
    _mm256_store_ps(tail, _ZGVdN8v_expm1f(_mm256_load_ps(tail)));
    for (std::int64_t j = i; j < n; ++j) x[j] = tail[j - i];
  }
}
#endif
#endif

#if defined(ATTNSIM_HAVE_LIBMVEC)
// sin and cos of 4 doubles (8 floats) a call; the last 1–3 (1–7) values through a padded vector.
__attribute__((target("avx2,fma"))) void avx2_sin_cos(const double* x, double* sin, double* cos,
                                                      std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += 4) {
    alignas(32) double lane[4] = {0, 0, 0, 0}, s_lane[4], c_lane[4];
    const bool full = i + 4 <= n;
    for (std::int64_t j = i; j < n && !full; ++j) lane[j - i] = x[j];
    const __m256d v = full ? _mm256_loadu_pd(x + i) : _mm256_load_pd(lane);
    const __m256d s = _ZGVdN4v_sin(v), c = _ZGVdN4v_cos(v);
    if (full) {
      _mm256_storeu_pd(sin + i, s);
      _mm256_storeu_pd(cos + i, c);
      continue;
    }
    _mm256_store_pd(s_lane, s);
    _mm256_store_pd(c_lane, c);
    for (std::int64_t j = i; j < n; ++j) sin[j] = s_lane[j - i], cos[j] = c_lane[j - i];
  }
}

__attribute__((target("avx2,fma"))) void avx2_sin_cos(const float* x, float* sin, float* cos,
                                                      std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += 8) {
    alignas(32) float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s_lane[8], c_lane[8];
    const bool full = i + 8 <= n;
    for (std::int64_t j = i; j < n && !full; ++j) lane[j - i] = x[j];
    const __m256 v = full ? _mm256_loadu_ps(x + i) : _mm256_load_ps(lane);
    const __m256 s = _ZGVdN8v_sinf(v), c = _ZGVdN8v_cosf(v);
    if (full) {
      _mm256_storeu_ps(sin + i, s);
      _mm256_storeu_ps(cos + i, c);
      continue;
    }
    _mm256_store_ps(s_lane, s);
    _mm256_store_ps(c_lane, c);
    for (std::int64_t j = i; j < n; ++j) sin[j] = s_lane[j - i], cos[j] = c_lane[j - i];
  }
}
#endif

template <class S>
void std_sin_cos(const S* x, S* sin, S* cos, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) sin[i] = std::sin(x[i]), cos[i] = std::cos(x[i]);
}

template <class S>
void scalar_expm1(S* x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) x[i] = std::expm1(x[i]);
}

}  // namespace

void exp_in_place(double* x, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC)
  if (has_avx2) return avx2_exp(x, n);
#endif
  eigen_exp(x, n);
}

void exp_in_place(float* x, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC)
  if (has_avx2) return avx2_exp(x, n);
#endif
  eigen_exp(x, n);
}

void expm1_in_place(double* x, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC) && defined(ATTNSIM_HAVE_LIBMVEC_EXPM1)
  if (has_avx2) return avx2_expm1(x, n);
#endif
  scalar_expm1(x, n);
}

void expm1_in_place(float* x, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC) && defined(ATTNSIM_HAVE_LIBMVEC_EXPM1)
  if (has_avx2) return avx2_expm1(x, n);
#endif
  scalar_expm1(x, n);
}

void sin_cos(const double* x, double* sin, double* cos, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC)
  if (has_avx2) return avx2_sin_cos(x, sin, cos, n);
#endif
  std_sin_cos(x, sin, cos, n);
}

void sin_cos(const float* x, float* sin, float* cos, std::int64_t n) {
#if defined(ATTNSIM_HAVE_LIBMVEC)
  if (has_avx2) return avx2_sin_cos(x, sin, cos, n);
#endif
  std_sin_cos(x, sin, cos, n);
}

bool vector_exp_is_avx2() {
#if defined(ATTNSIM_HAVE_LIBMVEC)
  return has_avx2;
#else
  return false;
#endif
}

}  // namespace attnsim::mixers
