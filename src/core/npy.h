// Reading and writing NumPy .npy files (format versions 1–3): little-endian float64, float32
// and int64 in C order. Anything else is rejected with a UserError naming the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace attnsim {

enum class NpyDType { float64, float32, int64 };

struct NpyHeader {
  NpyDType dtype = NpyDType::float64;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;  // bytes from the start of the file to the first element
};

// Parses and validates the header only.
NpyHeader read_npy_header(const std::string& path);

// Floating arrays (float64, or float32 widened to double). Without `expected_shape` any shape
// is accepted.
Tensor read_npy_float(const std::string& path,
                      const std::optional<std::vector<std::int64_t>>& expected_shape = {});
// int64 arrays (positions, indices).
IndexTensor read_npy_int(const std::string& path,
                         const std::optional<std::vector<std::int64_t>>& expected_shape = {});

// Writes through a temporary file in the same directory, renamed into place.
void write_npy(const std::string& path, const Tensor& tensor, NpyDType dtype = NpyDType::float64);
void write_npy(const std::string& path, const IndexTensor& tensor);

}  // namespace attnsim
