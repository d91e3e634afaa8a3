// Helpers of the small tensor type.
#include "core/tensor.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace attnsim {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  ATTNSIM_ASSERT(a.shape == b.shape, shape_string(a.shape) + " vs " + shape_string(b.shape));
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(a[i] - b[i]);
    if (std::isnan(diff)) return diff;
    worst = std::max(worst, diff);
  }
  return worst;
}

void require_rank(const std::vector<std::int64_t>& shape, int rank, const std::string& name,
                  const std::string& axes) {
  if (static_cast<int>(shape.size()) != rank) {
    throw UserError(SourceLocation{}, name, std::to_string(rank) + " axes " + axes,
                    "shape " + shape_string(shape));
  }
}

void require_shape(const std::vector<std::int64_t>& shape,
                   const std::vector<std::int64_t>& expected, const std::string& name,
                   const std::string& axes) {
  if (shape != expected) {
    throw UserError(SourceLocation{}, name, "shape " + shape_string(expected) + " (" + axes + ")",
                    "shape " + shape_string(shape));
  }
}

}  // namespace attnsim
