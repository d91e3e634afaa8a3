// A small owning tensor (shape + row-major data) for the reference kernels and .npy files.
// Activations use the BTHD layout of mixers-spec §0: [B, T, heads, dim], last axis fastest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnsim {

// Arithmetic of a reference run: float64 by default, float32 for `oracle --dtype float32`.
enum class Precision { float64, float32 };

template <class T>
struct BasicTensor {
  std::vector<std::int64_t> shape;
  std::vector<T> data;

  BasicTensor() = default;
  explicit BasicTensor(std::vector<std::int64_t> dims, T fill = T{})
      : shape(std::move(dims)), data(element_count(shape), fill) {}

  static std::size_t element_count(const std::vector<std::int64_t>& dims) {
    std::size_t count = 1;
    for (std::int64_t d : dims) count *= static_cast<std::size_t>(d);
    return count;
  }
  int rank() const { return static_cast<int>(shape.size()); }
  std::int64_t dim(int axis) const { return shape.at(static_cast<std::size_t>(axis)); }
  std::size_t size() const { return data.size(); }
  bool empty() const { return shape.empty() && data.empty(); }
  T& operator[](std::size_t i) { return data[i]; }
  const T& operator[](std::size_t i) const { return data[i]; }
};

using Tensor = BasicTensor<double>;
using IndexTensor = BasicTensor<std::int64_t>;

// "[2, 7, 4, 16]"
std::string shape_string(const std::vector<std::int64_t>& shape);

// Largest |a - b| over all elements; the shapes must match (asserted).
double max_abs_diff(const Tensor& a, const Tensor& b);

// Input checks of the reference kernels: throw UserError naming the input, the axes and what
// was found.
void require_rank(const std::vector<std::int64_t>& shape, int rank, const std::string& name,
                  const std::string& axes);
void require_shape(const std::vector<std::int64_t>& shape,
                   const std::vector<std::int64_t>& expected, const std::string& name,
                   const std::string& axes);

}  // namespace attnsim
