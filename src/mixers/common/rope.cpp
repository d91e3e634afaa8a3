// RoPE: (a, b) ↦ (a cos − b sin, b cos + a sin) on each feature pair (mixers-spec §0).
#include "mixers/common/rope.h"

#include <cmath>

#include "core/error.h"

namespace attnsim::mixers {

template <class S>
void apply_rope(S* x, std::int64_t rotary_dim, double position, double theta, RopeStyle style) {
  apply_rope_rows(x, 1, 0, rotary_dim, position, theta, style);
}

template <class S>
void apply_rope_rows(S* x, std::int64_t rows, std::int64_t stride, std::int64_t rotary_dim,
                     double position, double theta, RopeStyle style) {
  ATTNSIM_ASSERT(rotary_dim % 2 == 0, "odd rotary dim");
  const std::int64_t half = rotary_dim / 2;
  for (std::int64_t j = 0; j < half; ++j) {
    const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(j) / rotary_dim);
    const double angle = position * inv_freq;
    const double c = std::cos(angle), s = std::sin(angle);
    const std::int64_t ia = style == RopeStyle::half_split ? j : 2 * j;
    const std::int64_t ib = style == RopeStyle::half_split ? j + half : 2 * j + 1;
    for (std::int64_t r = 0; r < rows; ++r) {
      S* row = x + r * stride;
      const double a = static_cast<double>(row[ia]), b = static_cast<double>(row[ib]);
      row[ia] = static_cast<S>(a * c - b * s);
      row[ib] = static_cast<S>(b * c + a * s);
    }
  }
}

template void apply_rope<float>(float*, std::int64_t, double, double, RopeStyle);
template void apply_rope<double>(double*, std::int64_t, double, double, RopeStyle);
template void apply_rope_rows<float>(float*, std::int64_t, std::int64_t, std::int64_t, double,
                                     double, RopeStyle);
template void apply_rope_rows<double>(double*, std::int64_t, std::int64_t, std::int64_t, double,
                                      double, RopeStyle);

}  // namespace attnsim::mixers
