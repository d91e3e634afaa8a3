// Tests of exp_in_place and expm1_in_place against the C library's scalar exp and expm1, for
// every tail length.
#include "mixers/common/vector_exp.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace attnsim::mixers {
namespace {

// The AVX2 path flushes e^x to 0 below −708 (double) and −87 (float), where e^x < 2.5e-308
// and 1.7e-38 (DBL_MIN, FLT_MIN: e^−708.4, e^−87.3), instead of a lane-by-lane scalar exp;
// `flush` and `kept` sit on either side of that bound.
template <class S>
void check_against_std_exp(double relative_tolerance) {
  const S minus_inf = -std::numeric_limits<S>::infinity();
  const bool is_float = sizeof(S) == 4;
  const S kept = is_float ? S(-86.5) : S(-707.5), flush = is_float ? S(-87.2) : S(-708.2);
  const std::vector<S> values{
      0,     1,         -1,       S(0.5), S(-3.25), S(-700) / (is_float ? 10 : 1),
      S(20), minus_inf, S(-1e-9), S(2.5), S(-40),   S(7),
      kept,  flush,     S(-1e4),  S(-2)};
  for (std::size_t n = 0; n <= values.size(); ++n) {  // every tail length of 4 and 8 lanes
    CAPTURE(n);
    std::vector<S> x(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    exp_in_place(x.data(), static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const S expected = std::exp(values[i]);
      CAPTURE(values[i]);
      if (values[i] < (is_float ? S(-87) : S(-708))) {
        CHECK(x[i] >= 0);  // flushed to 0 (AVX2) or tiny (Eigen's exp)
        CHECK(x[i] <= std::numeric_limits<S>::min());
        if (vector_exp_is_avx2()) CHECK(x[i] == 0);
      } else if (expected == 0) {
        CHECK(x[i] == 0);
      } else {
        CHECK(std::abs(x[i] - expected) <= relative_tolerance * expected);
      }
    }
  }
}

TEST_CASE("exp_in_place") {
  MESSAGE("AVX2 vector exp in use: " << vector_exp_is_avx2());
  SUBCASE("double, within 4 ulp (4 · 2^−52 ≈ 8.9e-16 relative)") {
    check_against_std_exp<double>(8.9e-16);
  }
  SUBCASE("float, within 4 ulp (4 · 2^−23 ≈ 4.8e-7 relative)") {
    check_against_std_exp<float>(4.8e-7f);
  }
}

// expm1 near 0, where e^x − 1 would cancel: relative to std::expm1, and two values by Taylor
// series (expm1(x) = x + x²/2 + x³/6 + …): expm1(1e-10) = 1.00000000005e-10 and
// expm1(−2e-9) = −2e-9 + 2e-18 − 1.3e-27 = −1.999999998e-9 (to 1e-27).
template <class S>
void check_against_std_expm1(double relative_tolerance) {
  const std::vector<S> values{0,       S(1e-10), S(-2e-9), S(-0.25), S(0.5), S(-1),
                              S(-3.5), S(-40),   S(1e-6),  S(-1e-4), S(2),   S(-1e-30)};
  for (std::size_t n = 0; n <= values.size(); ++n) {
    CAPTURE(n);
    std::vector<S> x(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    expm1_in_place(x.data(), static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const S expected = std::expm1(values[i]);
      CAPTURE(values[i]);
      CHECK(std::abs(x[i] - expected) <= relative_tolerance * std::abs(expected));
    }
  }
  std::vector<S> x{S(1e-10), S(-2e-9)};
  expm1_in_place(x.data(), 2);
  CHECK(std::abs(x[0] - S(1.00000000005e-10)) <= relative_tolerance * 1e-10);
  CHECK(std::abs(x[1] - S(-1.999999998e-9)) <= relative_tolerance * 2e-9);
}

TEST_CASE("expm1_in_place") {
  SUBCASE("double, within 4 ulp") { check_against_std_expm1<double>(8.9e-16); }
  SUBCASE("float, within 4 ulp") { check_against_std_expm1<float>(4.8e-7f); }
}

// Angles as the Mamba-3 kernels turn by: small, a few turns, and the thousands of radians a
// long sequence accumulates; plus sin(π/6) = 1/2 and cos(π/3) = 1/2 by hand.
template <class S>
void check_against_std_sin_cos(double absolute_tolerance) {
  const std::vector<S> values{0,       1,      -1,     S(0.5), S(-3.25),     S(1000.5),
                              S(1e-9), S(2.5), S(-40), S(7),   S(3.1415926), S(-2718.25)};
  for (std::size_t n = 0; n <= values.size(); ++n) {  // every tail length of 4 and 8 lanes
    CAPTURE(n);
    std::vector<S> sin(n, S(9)), cos(n, S(9));
    sin_cos(values.data(), sin.data(), cos.data(), static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(values[i]);
      CHECK(std::abs(sin[i] - std::sin(values[i])) <= absolute_tolerance);
      CHECK(std::abs(cos[i] - std::cos(values[i])) <= absolute_tolerance);
    }
  }
  const S pi = S(3.14159265358979323846);
  const std::vector<S> sixth{pi / 6, pi / 3};
  std::vector<S> sin(2), cos(2);
  sin_cos(sixth.data(), sin.data(), cos.data(), 2);
  CHECK(std::abs(sin[0] - S(0.5)) <= absolute_tolerance);
  CHECK(std::abs(cos[1] - S(0.5)) <= absolute_tolerance);
}

TEST_CASE("sin_cos") {
  SUBCASE("double, within 4 ulp of 1 (4 · 2^−52 ≈ 8.9e-16)") {
    check_against_std_sin_cos<double>(8.9e-16);
  }
  SUBCASE("float, within 4 ulp of 1 (4 · 2^−23 ≈ 4.8e-7)") {
    check_against_std_sin_cos<float>(4.8e-7f);
  }
}

}  // namespace
}  // namespace attnsim::mixers
