// Helpers for the reference-kernel tests: seeded random tensors and the worked examples of
// mixers-spec §10 (under testing::reference_dir()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/npy.h"
#include "core/tensor.h"
#include "tests/reference_dir.h"

namespace attnsim::testing {

// Uniform values in [low, high) from a fixed seed.
inline Tensor random_tensor(std::vector<std::int64_t> shape, std::uint64_t seed, double low = -1.0,
                            double high = 1.0) {
  Tensor t(std::move(shape));
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  for (double& value : t.data) value = uniform(engine);
  return t;
}

// Folder of a worked example, e.g. example_dir("gated_deltanet", "B2_T7_h2_chunk4").
inline std::string example_dir(const std::string& mixer, const std::string& example) {
  return reference_dir().string() + "/mixer-examples/" + mixer + "/" + example + "/";
}

// Tokens [t0, t1) of a [B, T, ...] tensor.
inline Tensor token_slice(const Tensor& x, std::int64_t t0, std::int64_t t1) {
  std::vector<std::int64_t> shape = x.shape;
  shape[1] = t1 - t0;
  Tensor part(shape);
  const std::int64_t row = static_cast<std::int64_t>(x.size()) / (x.dim(0) * x.dim(1));
  for (std::int64_t b = 0; b < x.dim(0); ++b) {
    std::copy_n(x.data.begin() + (b * x.dim(1) + t0) * row, (t1 - t0) * row,
                part.data.begin() + b * (t1 - t0) * row);
  }
  return part;
}

}  // namespace attnsim::testing
