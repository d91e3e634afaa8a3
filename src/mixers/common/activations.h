// Elementwise functions the reference kernels share, written once so every mixer rounds alike.
#pragma once

#include <cmath>

namespace attnsim::mixers {

// softplus(v) = log(1 + e^v), written as v + log1p(e^−v) for v > 0 so that large v does not
// overflow.
inline double softplus(double v) {
  return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

inline double silu(double v) { return v * sigmoid(v); }

}  // namespace attnsim::mixers
