// Tests of RoPE (mixers-spec §0): one rotation by hand in each pairing, and apply_rope_rows equal
// to apply_rope row by row.
#include "mixers/common/rope.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace attnsim::mixers {
namespace {

TEST_CASE("apply_rope") {
  // rotary dim 4, theta 100: pair 0 turns by position · 100^0 = 2, pair 1 by 2 · 100^(−1/2) = 0.2.
  SUBCASE("interleaved: pairs (0, 1) and (2, 3)") {
    std::vector<double> x{1, 0, 0, 1, 7};
    apply_rope(x.data(), 4, 2.0, 100.0, RopeStyle::interleaved);
    CHECK(x[0] == doctest::Approx(std::cos(2.0)).epsilon(1e-15));
    CHECK(x[1] == doctest::Approx(std::sin(2.0)).epsilon(1e-15));
    CHECK(x[2] == doctest::Approx(-std::sin(0.2)).epsilon(1e-15));
    CHECK(x[3] == doctest::Approx(std::cos(0.2)).epsilon(1e-15));
    CHECK(x[4] == 7);  // past the rotary dim
  }
  SUBCASE("half-split: pairs (0, 2) and (1, 3)") {
    std::vector<double> x{1, 0, 0, 1};
    apply_rope(x.data(), 4, 2.0, 100.0, RopeStyle::half_split);
    CHECK(x[0] == doctest::Approx(std::cos(2.0)).epsilon(1e-15));
    CHECK(x[2] == doctest::Approx(std::sin(2.0)).epsilon(1e-15));
    CHECK(x[1] == doctest::Approx(-std::sin(0.2)).epsilon(1e-15));
    CHECK(x[3] == doctest::Approx(std::cos(0.2)).epsilon(1e-15));
  }
}

TEST_CASE("apply_rope_rows") {
  // Three rows of 7 values, 9 apart, rotary dim 6, at position 37: bit for bit apply_rope.
  for (const RopeStyle style : {RopeStyle::interleaved, RopeStyle::half_split}) {
    std::vector<float> rows(27), expected;
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = std::sin(0.7f * float(i)) + 0.1f;
    expected = rows;
    for (int r = 0; r < 3; ++r) apply_rope(expected.data() + 9 * r, 6, 37.0, 10000.0, style);
    apply_rope_rows(rows.data(), 3, 9, 6, 37.0, 10000.0, style);
    CHECK(rows == expected);
  }
}

}  // namespace
}  // namespace attnsim::mixers
