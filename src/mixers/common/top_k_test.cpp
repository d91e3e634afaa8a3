// Tests of mixers::top_k: lists written out by hand (score descending, ties to the lower index).
#include "mixers/common/top_k.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace attnsim::mixers {
namespace {

using Indices = std::vector<std::int64_t>;

TEST_CASE("top_k") {
  SUBCASE("by score descending, ties to the lower index, in float64 and float32") {
    // Scores 0.5, −1, 2, 0.5, 2, 0: sorted (2 @2), (2 @4), (0.5 @0), (0.5 @3), (0 @5), (−1 @1).
    const std::vector<double> wide = {0.5, -1, 2, 0.5, 2, 0};
    const std::vector<float> narrow(wide.begin(), wide.end());
    for (const std::int64_t k : {1, 2, 3, 4, 6, 9}) {
      CAPTURE(k);
      const Indices all = {2, 4, 0, 3, 5, 1};
      const Indices expected(all.begin(), all.begin() + std::min<std::int64_t>(k, 6));
      CHECK(top_k(wide.data(), 6, k) == expected);
      CHECK(top_k(narrow.data(), 6, k) == expected);
    }
  }
  SUBCASE("−0 equals +0; the threshold's ties are taken lowest first") {
    const std::vector<double> zeros = {-0.0, 0.0, -0.0, 1e-300, -0.0};
    CHECK(top_k(zeros.data(), 5, 3) == Indices{3, 0, 1});
    const std::vector<float> float_zeros = {0.0f, -0.0f, -0.0f, 0.0f};
    CHECK(top_k(float_zeros.data(), 4, 2) == Indices{0, 1});
  }
  SUBCASE("negative scores, infinities and 300 entries whose order needs every key byte") {
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> ends = {-inf, -3.5, inf, -3.25};
    CHECK(top_k(ends.data(), 4, 4) == Indices{2, 3, 1, 0});
    // 1 + i·2^−52 (i < 300) differ only in the low mantissa bytes: descending i.
    std::vector<double> close(300);
    for (std::size_t i = 0; i < close.size(); ++i)
      close[i] = 1.0 + static_cast<double>(i) * std::numeric_limits<double>::epsilon();
    const Indices top = top_k(close.data(), 300, 5);
    CHECK(top == Indices{299, 298, 297, 296, 295});
  }
}

}  // namespace
}  // namespace attnsim::mixers
