// libFuzzer target: bytes → .npy header and data, as float and as int64 arrays. Any input must
// either read or throw UserError; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/npy.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = attnsim::fuzz::write_input(data, size, ".npy");
  try {
    attnsim::read_npy_header(path);
  } catch (const attnsim::UserError&) {
  }
  try {
    attnsim::read_npy_float(path);
  } catch (const attnsim::UserError&) {
  }
  try {
    attnsim::read_npy_int(path);
  } catch (const attnsim::UserError&) {
  }
  return 0;
}
