// .npy reader/writer. Format: magic "\x93NUMPY", major/minor version, header length (uint16 in
// v1, uint32 in v2/v3), then a Python-dict header padded to 64 bytes, then the raw data.
#include "core/npy.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace attnsim {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy code assumes little-endian");

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

[[noreturn]] void fail(const std::string& path, const std::string& expected,
                       const std::string& found) {
  throw UserError(SourceLocation{path, 0, 0}, "", expected, found);
}

// A .npy file open for reading, and its size in bytes.
struct NpyFile {
  std::ifstream in;
  std::uintmax_t size = 0;
};

NpyFile open_npy(const std::string& path) {
  NpyFile file{std::ifstream(path, std::ios::binary)};
  std::error_code error;
  file.size = std::filesystem::file_size(path, error);
  if (!file.in || error) fail(path, "a readable .npy file", "a file that cannot be opened");
  return file;
}

// Up to `count` bytes from the file's current position (fewer at its end).
std::string read_up_to(std::istream& in, std::size_t count) {
  std::string bytes(count, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  in.clear();  // a short read is the caller's to report, with what it expected
  return bytes;
}

std::size_t element_size(NpyDType dtype) { return dtype == NpyDType::float32 ? 4 : 8; }

std::string dtype_descr(NpyDType dtype) {
  switch (dtype) {
    case NpyDType::float64:
      return "<f8";
    case NpyDType::float32:
      return "<f4";
    case NpyDType::int64:
      return "<i8";
  }
  return "?";
}

// The raw value of `key` in the header dict: the text inside '…' or (…), or up to the next
// comma or brace. Fails when the key is missing.
std::string dict_value(const std::string& path, const std::string& header, const std::string& key) {
  const std::size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) fail(path, "a '" + key + "' entry in the header", header);
  std::size_t pos = header.find(':', at);
  if (pos == std::string::npos) fail(path, "'" + key + "': value", header);
  pos = header.find_first_not_of(' ', pos + 1);
  if (pos == std::string::npos) fail(path, "'" + key + "': value", header);
  const char open = header[pos];
  if (open == '\'' || open == '(') {
    const std::size_t close = header.find(open == '(' ? ')' : '\'', pos + 1);
    if (close == std::string::npos) fail(path, "a closed value for '" + key + "'", header);
    return header.substr(pos + 1, close - pos - 1);
  }
  const std::size_t end = header.find_first_of(",}", pos);
  std::string value = header.substr(pos, end - pos);
  value.erase(value.find_last_not_of(' ') + 1);
  return value;
}

NpyDType parse_descr(const std::string& path, const std::string& header) {
  const std::string descr = dict_value(path, header, "descr");
  if (descr == "<f8") return NpyDType::float64;
  if (descr == "<f4") return NpyDType::float32;
  if (descr == "<i8") return NpyDType::int64;
  fail(path, "dtype '<f8' (float64), '<f4' (float32) or '<i8' (int64), little-endian",
       "'" + descr + "'");
}

void require_c_order(const std::string& path, const std::string& header) {
  const std::string order = dict_value(path, header, "fortran_order");
  if (order == "True") fail(path, "C order (fortran_order: False)", "fortran_order: True");
  if (order != "False") fail(path, "fortran_order True or False", order);
}

// "2, 7, 4" or "7," or "" (a scalar).
std::vector<std::int64_t> parse_shape(const std::string& path, const std::string& header) {
  const std::string dims = dict_value(path, header, "shape");
  std::vector<std::int64_t> shape;
  std::size_t pos = 0;
  while (pos < dims.size()) {
    pos = dims.find_first_not_of(" ,", pos);
    if (pos == std::string::npos) break;
    const std::size_t end = dims.find_first_of(" ,", pos);
    const std::string number = dims.substr(pos, end == std::string::npos ? end : end - pos);
    if (number.find_first_not_of("0123456789") != std::string::npos) {
      fail(path, "a shape of non-negative integers", "(" + dims + ")");
    }
    std::int64_t dim = 0;
    const auto [last, error] = std::from_chars(number.data(), number.data() + number.size(), dim);
    if (error != std::errc() || last != number.data() + number.size()) {
      fail(path, "a shape of non-negative integers below 2^63", "(" + dims + ")");
    }
    shape.push_back(dim);
    pos = end;
  }
  // The data size must fit in 64 bits, or the size check below would compare a wrapped number.
  std::uint64_t bytes = 8;
  for (const std::int64_t dim : shape) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(dim), &bytes)) {
      fail(path, "a shape whose size in bytes fits in 64 bits", "(" + dims + ")");
    }
  }
  return shape;
}

std::uint32_t little_endian_uint(const std::string& bytes, std::size_t offset, int width) {
  std::uint32_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(i)]);
  }
  return value;
}

// The header of the file, read from its first bytes only; leaves the stream at the first element.
NpyHeader read_header(const std::string& path, NpyFile& file) {
  const std::size_t length_offset = kMagicSize + 2;
  const std::string prefix = read_up_to(file.in, length_offset + 4);
  if (prefix.size() < kMagicSize + 4 || prefix.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    fail(path, "the .npy magic \\x93NUMPY", "a file that does not start with it");
  }
  const int major = static_cast<unsigned char>(prefix[kMagicSize]);
  if (major < 1 || major > 3) fail(path, ".npy format version 1, 2 or 3", std::to_string(major));
  const int length_width = major == 1 ? 2 : 4;
  if (prefix.size() < length_offset + static_cast<std::size_t>(length_width)) {
    fail(path, "a complete header", "a truncated file");
  }
  const std::size_t header_length = little_endian_uint(prefix, length_offset, length_width);
  const std::size_t header_start = length_offset + static_cast<std::size_t>(length_width);
  if (file.size < header_start + header_length) {
    fail(path, "a header of " + std::to_string(header_length) + " bytes", "a truncated file");
  }
  file.in.seekg(static_cast<std::streamoff>(header_start));
  const std::string header = read_up_to(file.in, header_length);
  if (header.size() < header_length) {
    fail(path, "a header of " + std::to_string(header_length) + " bytes", "a truncated file");
  }
  NpyHeader result;
  result.dtype = parse_descr(path, header);
  require_c_order(path, header);
  result.shape = parse_shape(path, header);
  result.data_offset = header_start + header_length;
  return result;
}

void check_shape(const std::string& path, const std::vector<std::int64_t>& found,
                 const std::optional<std::vector<std::int64_t>>& expected) {
  if (expected && *expected != found) {
    fail(path, "shape " + shape_string(*expected), "shape " + shape_string(found));
  }
}

std::size_t data_bytes(const NpyHeader& header) {
  return Tensor::element_count(header.shape) * element_size(header.dtype);
}

// Checks that the file holds exactly the data its header announces, before any is read or room
// is made for it.
void check_data_size(const std::string& path, const NpyFile& file, const NpyHeader& header) {
  const std::size_t expected = data_bytes(header);
  const std::uintmax_t found = file.size - header.data_offset;
  if (found != expected) {
    fail(path, std::to_string(expected) + " data bytes for shape " + shape_string(header.shape),
         std::to_string(found) + (found < expected ? " (truncated)" : " (trailing bytes)"));
  }
}

// Reads the file's data (checked by check_data_size) into `into`.
void read_data(const std::string& path, NpyFile& file, const NpyHeader& header, char* into) {
  const std::size_t bytes = data_bytes(header);
  if (bytes > 0 && !file.in.read(into, static_cast<std::streamsize>(bytes))) {
    fail(path, std::to_string(bytes) + " data bytes", "a file that could not be read to its end");
  }
}

std::string header_text(NpyDType dtype, const std::vector<std::int64_t>& shape) {
  std::string dims;  // "2, 3" for a matrix, "2," for a vector (a Python 1-tuple), "" for a scalar
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dims += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  }
  if (shape.size() == 1) dims += ",";
  std::string header =
      "{'descr': '" + dtype_descr(dtype) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const std::size_t prefix = kMagicSize + 2 + 2;
  const std::size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  return header + '\n';
}

template <class T>
void write_array(const std::string& path, NpyDType dtype, const std::vector<std::int64_t>& shape,
                 const T* values, std::size_t count) {
  const std::string header = header_text(dtype, shape);
  ATTNSIM_ASSERT(header.size() <= 65535, "header too long for format 1.0");
  std::string prefix(kMagic, kMagicSize);
  prefix += '\x01';
  prefix += '\x00';
  prefix += static_cast<char>(header.size() & 0xff);
  prefix += static_cast<char>(header.size() >> 8);
  prefix += header;
  // The elements go to the file from where they are, not through a copy.
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    out.write(reinterpret_cast<const char*>(values),
              static_cast<std::streamsize>(count * sizeof(T)));
  });
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  NpyFile file = open_npy(path);
  return read_header(path, file);
}

Tensor read_npy_float(const std::string& path,
                      const std::optional<std::vector<std::int64_t>>& expected_shape) {
  NpyFile file = open_npy(path);
  const NpyHeader header = read_header(path, file);
  if (header.dtype == NpyDType::int64) {
    fail(path, "a floating array (float64 or float32)", "dtype int64");
  }
  check_shape(path, header.shape, expected_shape);
  check_data_size(path, file, header);
  Tensor tensor(header.shape);
  if (header.dtype == NpyDType::float64) {
    read_data(path, file, header, reinterpret_cast<char*>(tensor.data.data()));
  } else {
    std::vector<float> narrow(tensor.size());
    read_data(path, file, header, reinterpret_cast<char*>(narrow.data()));
    std::copy(narrow.begin(), narrow.end(), tensor.data.begin());
  }
  return tensor;
}

IndexTensor read_npy_int(const std::string& path,
                         const std::optional<std::vector<std::int64_t>>& expected_shape) {
  NpyFile file = open_npy(path);
  const NpyHeader header = read_header(path, file);
  if (header.dtype != NpyDType::int64) {
    fail(path, "an int64 array", "dtype " + dtype_descr(header.dtype));
  }
  check_shape(path, header.shape, expected_shape);
  check_data_size(path, file, header);
  IndexTensor tensor(header.shape);
  read_data(path, file, header, reinterpret_cast<char*>(tensor.data.data()));
  return tensor;
}

void write_npy(const std::string& path, const Tensor& tensor, NpyDType dtype) {
  ATTNSIM_ASSERT(dtype != NpyDType::int64, "use the IndexTensor overload for int64");
  if (dtype == NpyDType::float64)
    return write_array(path, dtype, tensor.shape, tensor.data.data(), tensor.size());
  std::vector<float> narrow(tensor.data.begin(), tensor.data.end());
  write_array(path, dtype, tensor.shape, narrow.data(), narrow.size());
}

void write_npy(const std::string& path, const IndexTensor& tensor) {
  write_array(path, NpyDType::int64, tensor.shape, tensor.data.data(), tensor.size());
}

}  // namespace attnsim
