// Tests of the .npy reader/writer: round trips, the example files, and rejected files.
#include "core/npy.h"
#include "tests/reference_dir.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/error.h"

namespace attnsim {
namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "attnsim_npy_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// A v1 file with the given header dict and raw data bytes (header padded to 64 bytes).
std::string write_raw(const std::string& name, const std::string& dict, const std::string& data,
                      char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY", 6) + major + '\0';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  if (major != 1) bytes += std::string(2, '\0');
  bytes += header + data;
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string doubles(std::initializer_list<double> values) {
  std::string bytes;
  for (double v : values) bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
  return bytes;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("write_npy") {
  SUBCASE("float64 round trip keeps shape and values") {
    Tensor t({2, 3});
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = 0.5 * static_cast<double>(i) - 1.0;
    const std::string path = temp_path("f64.npy");
    write_npy(path, t);
    const Tensor back = read_npy_float(path, std::vector<std::int64_t>{2, 3});
    CHECK(back.shape == t.shape);
    CHECK(back.data == t.data);
  }
  SUBCASE("int64 round trip of a vector (1-tuple shape)") {
    IndexTensor t({4});
    t.data = {3, -1, 0, 7};
    const std::string path = temp_path("i64.npy");
    write_npy(path, t);
    CHECK(read_npy_int(path).data == t.data);
    CHECK(read_npy_header(path).shape == std::vector<std::int64_t>{4});
  }
  SUBCASE("float32 output is widened back exactly for representable values") {
    Tensor t({3});
    t.data = {1.5, -2.25, 0.125};
    const std::string path = temp_path("f32.npy");
    write_npy(path, t, NpyDType::float32);
    CHECK(read_npy_header(path).dtype == NpyDType::float32);
    CHECK(read_npy_float(path).data == t.data);
  }
  SUBCASE("scalar (shape ()) round trip") {
    Tensor t(std::vector<std::int64_t>{});
    t[0] = 4.0;
    const std::string path = temp_path("scalar.npy");
    write_npy(path, t);
    const Tensor back = read_npy_float(path, std::vector<std::int64_t>{});
    CHECK(back.shape.empty());
    CHECK(back[0] == 4.0);
  }
  SUBCASE("leaves no temporary file behind") {
    write_npy(temp_path("clean.npy"), Tensor({1}));
    CHECK_FALSE(std::filesystem::exists(temp_path(".clean.npy.tmp")));
  }
}

TEST_CASE("read_npy_float") {
  SUBCASE("reads a worked example written by NumPy") {
    const std::string path =
        testing::reference_dir().string() + "/mixer-examples/softmax_attn/mha_B2_T7/q.npy";
    CHECK(read_npy_float(path).shape == std::vector<std::int64_t>{2, 7, 4, 16});
  }
  SUBCASE("format version 2 header") {
    const auto path =
        write_raw("v2.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                  doubles({1.0, 2.0}), 2);
    CHECK(read_npy_float(path).data == std::vector<double>{1.0, 2.0});
  }
  SUBCASE("format version 3 header") {
    const auto path = write_raw(
        "v3.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", doubles({5.0}), 3);
    CHECK(read_npy_float(path).data == std::vector<double>{5.0});
  }
  SUBCASE("rejects Fortran order") {
    const auto path =
        write_raw("fortran.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }",
                  doubles({1.0, 2.0}));
    const std::string message = error_of([&] { read_npy_float(path); });
    CHECK(message.find("fortran.npy") != std::string::npos);
    CHECK(message.find("C order") != std::string::npos);
  }
  SUBCASE("rejects other dtypes and big-endian data") {
    for (const std::string descr : {"<i4", ">f8", "<c16"}) {
      const auto path = write_raw(
          "dtype.npy", "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }",
          doubles({1.0, 2.0}));
      CHECK(error_of([&] { read_npy_float(path); }).find("'" + descr + "'") != std::string::npos);
    }
  }
  SUBCASE("rejects truncated data") {
    const auto path =
        write_raw("short.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                  doubles({1.0, 2.0}));
    CHECK(error_of([&] { read_npy_float(path); }).find("truncated") != std::string::npos);
  }
  SUBCASE("rejects a header longer than the file before reading it") {
    const std::string path = temp_path("long_header.npy");
    std::ofstream(path, std::ios::binary)
        << std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'", 19);
    const std::string message = error_of([&] { read_npy_float(path); });
    CHECK(message.find("a header of 2147483647 bytes") != std::string::npos);
    CHECK(message.find("truncated") != std::string::npos);
  }
  SUBCASE("rejects a bad magic") {
    const std::string path = temp_path("magic.npy");
    std::ofstream(path, std::ios::binary) << "NOTNUMPYATALL";
    CHECK(error_of([&] { read_npy_float(path); }).find("magic") != std::string::npos);
  }
  SUBCASE("rejects a shape mismatch naming both shapes") {
    const auto path =
        write_raw("shape.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                  doubles({1.0, 2.0}));
    const std::string message =
        error_of([&] { read_npy_float(path, std::vector<std::int64_t>{3}); });
    CHECK(message.find("[3]") != std::string::npos);
    CHECK(message.find("[2]") != std::string::npos);
  }
  SUBCASE("rejects int64 where floats are expected and vice versa") {
    IndexTensor ints({1});
    write_npy(temp_path("ints.npy"), ints);
    CHECK_THROWS_AS(read_npy_float(temp_path("ints.npy")), UserError);
    write_npy(temp_path("floats.npy"), Tensor({1}));
    CHECK_THROWS_AS(read_npy_int(temp_path("floats.npy")), UserError);
  }
  SUBCASE("rejects a missing file") {
    CHECK_THROWS_AS(read_npy_float(temp_path("missing.npy")), UserError);
  }
}

}  // namespace
}  // namespace attnsim
