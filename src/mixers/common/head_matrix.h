// Per-head matrices handed between the BTHD tensors and the Eigen kernels of src/mixers/common.
// The kernels map these row-major buffers with Eigen::Map inside their .cpp files.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/large_buffer.h"
#include "core/tensor.h"

namespace attnsim::mixers {

template <class S>
struct HeadMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  Buffer<S> data;  // row-major [rows, cols]

  HeadMatrix() = default;
  HeadMatrix(std::int64_t r, std::int64_t c)
      : rows(r), cols(c), data(static_cast<std::size_t>(r * c), S{0}) {}
  S& at(std::int64_t r, std::int64_t c) { return data[static_cast<std::size_t>(r * cols + c)]; }
  S at(std::int64_t r, std::int64_t c) const {
    return data[static_cast<std::size_t>(r * cols + c)];
  }
  S* row(std::int64_t r) { return data.data() + r * cols; }
  const S* row(std::int64_t r) const { return data.data() + r * cols; }
};

// A head read where it lies: row r's `cols` values at first + r·stride, `rows` rows (a
// HeadMatrix's rows, stride = cols, or a head's rows of a [B, T, heads, dim] tensor read in
// place, stride = heads·dim). The memory it reads must outlive it.
template <class S>
struct HeadView {
  const S* first = nullptr;
  std::int64_t rows = 0, cols = 0, stride = 0;
  const S* row(std::int64_t r) const { return first + r * stride; }
};

template <class S>
HeadView<S> view_of(const HeadMatrix<S>& m) {
  return {m.data.data(), m.rows, m.cols, m.cols};
}

// Head h of sequence b of a [B, T, heads, dim] tensor, in place: [T, dim], rows heads·dim apart.
inline HeadView<double> head_view(const Tensor& x, std::int64_t b, std::int64_t h) {
  ATTNSIM_ASSERT(x.rank() == 4, shape_string(x.shape));
  const std::int64_t T = x.dim(1), heads = x.dim(2), dim = x.dim(3);
  const double* first = x.data.data();  // no offset into an empty tensor's elements (T = 0)
  return {x.size() > 0 ? first + (b * T * heads + h) * dim : first, T, dim, heads * dim};
}

// A head's rows in [B, T, heads, dim] are runs of dim values heads·dim apart, which the
// hardware prefetchers do not follow: the gathers and scatters below ask for the row
// kRowsAhead rows on (its `count` values, 0 past the end) while they copy the current one.
// A pass that writes the rows asks for them to be written (kForWrite).
constexpr std::int64_t kRowsAhead = 8;
template <bool kForWrite = false>
void prefetch_ahead(const double* row, std::int64_t stride, std::int64_t count) {
  const double* ahead = row + kRowsAhead * stride;
  for (std::int64_t d = 0; d < count; d += 8) __builtin_prefetch(ahead + d, kForWrite ? 1 : 0);
}

// [T, dim] slice of a [B, T, heads, dim] tensor, for batch b and head h.
template <class S>
HeadMatrix<S> gather_head(const Tensor& x, std::int64_t b, std::int64_t h) {
  ATTNSIM_ASSERT(x.rank() == 4, shape_string(x.shape));
  const std::int64_t T = x.dim(1), heads = x.dim(2), dim = x.dim(3);
  HeadMatrix<S> m(T, dim);
  for (std::int64_t t = 0; t < T; ++t) {
    const double* src = x.data.data() + ((b * T + t) * heads + h) * dim;
    prefetch_ahead(src, heads * dim, t + kRowsAhead < T ? dim : 0);
    for (std::int64_t d = 0; d < dim; ++d) m.at(t, d) = static_cast<S>(src[d]);
  }
  return m;
}

// [T, dim] slice of a [B, T, dim] tensor (a single shared head, e.g. MLA's c_kv).
template <class S>
HeadMatrix<S> gather_shared(const Tensor& x, std::int64_t b) {
  ATTNSIM_ASSERT(x.rank() == 3, shape_string(x.shape));
  const std::int64_t T = x.dim(1), dim = x.dim(2);
  HeadMatrix<S> m(T, dim);
  for (std::int64_t i = 0; i < T * dim; ++i) {
    m.data[static_cast<std::size_t>(i)] =
        static_cast<S>(x.data[static_cast<std::size_t>(b * T * dim + i)]);
  }
  return m;
}

// Writes m [T, dim] into head h of batch b of a [B, T, heads, dim] tensor.
template <class S>
void scatter_head(const HeadMatrix<S>& m, Tensor& x, std::int64_t b, std::int64_t h) {
  const std::int64_t T = x.dim(1), heads = x.dim(2), dim = x.dim(3);
  ATTNSIM_ASSERT(m.rows == T && m.cols == dim, "scatter shape");
  for (std::int64_t t = 0; t < T; ++t) {
    double* dst = x.data.data() + ((b * T + t) * heads + h) * dim;
    prefetch_ahead(dst, heads * dim, t + kRowsAhead < T ? dim : 0);
    for (std::int64_t d = 0; d < dim; ++d) dst[d] = static_cast<double>(m.at(t, d));
  }
}

// Matrix [rows, cols] at index `index` of the leading axes of a [..., rows, cols] tensor
// (e.g. the state S[b, h] of a [B, H, K, V] tensor has index b·H + h).
template <class S>
HeadMatrix<S> gather_matrix(const Tensor& x, std::int64_t index, std::int64_t rows,
                            std::int64_t cols) {
  HeadMatrix<S> m(rows, cols);
  const double* src = x.data.data() + index * rows * cols;
  for (std::int64_t i = 0; i < rows * cols; ++i)
    m.data[static_cast<std::size_t>(i)] = static_cast<S>(src[i]);
  return m;
}

template <class S>
void scatter_matrix(const HeadMatrix<S>& m, Tensor& x, std::int64_t index) {
  double* dst = x.data.data() + index * m.rows * m.cols;
  for (std::int64_t i = 0; i < m.rows * m.cols; ++i)
    dst[i] = static_cast<double>(m.data[static_cast<std::size_t>(i)]);
}

}  // namespace attnsim::mixers
