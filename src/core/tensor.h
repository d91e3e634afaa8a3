// A small tensor (shape + row-major data) for the reference kernels and .npy files: it owns its
// elements, or views read-only memory (attnsim.oracle's NumPy inputs, not copied).
// Activations use the BTHD layout of mixers-spec §0: [B, T, heads, dim], last axis fastest.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/large_buffer.h"

namespace attnsim {

// Arithmetic of a reference run: float64 by default, float32 for `oracle --dtype float32`.
enum class Precision { float64, float32 };

// A tensor's elements: a Buffer of its own (large ones on huge pages, see large_buffer.h), or a
// read-only view of `size` elements at `first` that its creator keeps alive and unchanged while
// the view exists. A view is read in place, never copied: moved, it stays a view; copied, the
// copy has a buffer of its own. Writing through a view is our bug and fails loudly, so a kernel
// that reads its inputs through const references takes views as they are, and one that changes
// an input works on its own copy.
template <class T>
class Storage {
 public:
  Storage() = default;
  Storage(std::size_t count, T fill) : owned_(count, fill) {}
  Storage(Buffer<T> values) : owned_(std::move(values)) {}  // NOLINT: as a vector
  Storage(const std::vector<T>& values) : owned_(values.begin(), values.end()) {}  // NOLINT: same
  Storage(std::initializer_list<T> values) : owned_(values) {}
  static Storage view(const T* first, std::size_t size) {
    Storage storage;
    storage.view_ = first;
    storage.view_size_ = size;
    return storage;
  }
  Storage(const Storage& other) : owned_(other.begin(), other.end()) {}
  Storage& operator=(const Storage& other) {
    if (this != &other) *this = Storage(other);
    return *this;
  }
  Storage(Storage&&) noexcept = default;
  Storage& operator=(Storage&&) noexcept = default;

  bool is_view() const { return view_ != nullptr; }
  std::size_t size() const { return view_ ? view_size_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  const T* data() const { return view_ ? view_ : owned_.data(); }
  T* data() {
    writable();
    return owned_.data();
  }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& operator[](std::size_t i) { return data()[i]; }
  void resize(std::size_t count) {
    writable();
    owned_.resize(count);
  }
  // The elements: its own, moved out (not copied); a view's, copied.
  Buffer<T> release() && {
    if (view_) return {view_, view_ + view_size_};
    return std::move(owned_);
  }
  operator std::vector<T>() const { return {begin(), end()}; }  // NOLINT: as a vector

  friend bool operator==(const Storage& a, const Storage& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  void writable() const {
    ATTNSIM_ASSERT(view_ == nullptr, "a read-only view is written: copy the tensor first");
  }

  Buffer<T> owned_;
  const T* view_ = nullptr;  // a view: view_size_ elements there, and owned_ is empty
  std::size_t view_size_ = 0;
};

template <class T>
struct BasicTensor {
  std::vector<std::int64_t> shape;
  Storage<T> data;

  BasicTensor() = default;
  explicit BasicTensor(std::vector<std::int64_t> dims, T fill = T{})
      : shape(std::move(dims)), data(element_count(shape), fill) {}
  // A read-only view of row-major elements at `first` (see Storage), which must outlive it.
  static BasicTensor view(std::vector<std::int64_t> dims, const T* first) {
    BasicTensor tensor;
    tensor.data = Storage<T>::view(first, element_count(dims));
    tensor.shape = std::move(dims);
    return tensor;
  }
  // A read-only view of this tensor's elements, which must outlive it.
  BasicTensor borrowed() const { return view(shape, data.data()); }

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
