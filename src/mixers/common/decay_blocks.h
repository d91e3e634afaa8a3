// Chunks with a per-channel decay (KDA, RWKV-7) split into blocks of rows whose pair products can
// be factored through one reference row without overflow: the spread of the cumulative log
// decay over a block stays within safe_spread, far from the type's exponent range.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

namespace attnsim::mixers {

template <class S>
constexpr S safe_spread() {
  return std::is_same_v<S, float> ? S(20) : S(200);
}

// rows_within_safe_spread (below) with a bound of the caller's: RWKV-7's float32 chunks.
template <class Matrix>
Eigen::Index rows_within_spread(const Matrix& gamma, Eigen::Index r,
                                typename Matrix::Scalar bound) {
  using S = typename Matrix::Scalar;
  const auto reference = [&](Eigen::Index d) { return r == 0 ? S(0) : gamma(r - 1, d); };
  Eigen::Index n = 0;
  for (; r + n < gamma.rows(); ++n) {
    S spread = 0;
    for (Eigen::Index d = 0; d < gamma.cols(); ++d)
      spread = std::max(spread, reference(d) - gamma(r + n, d));
    if (spread > bound) break;
  }
  return n;
}

// How many rows from r on (r … r + n − 1) keep reference − gamma(row, d) within safe_spread for
// every channel d, the reference being row r − 1 of `gamma` (0 before the first row); 0 when
// row r's own decay already exceeds it.
template <class Matrix>
Eigen::Index rows_within_safe_spread(const Matrix& gamma, Eigen::Index r) {
  return rows_within_spread(gamma, r, safe_spread<typename Matrix::Scalar>());
}

}  // namespace attnsim::mixers
