// Shared by the libFuzzer targets: the fuzz input written to a per-process scratch file (the
// .npy reader and the HF importer take paths), and the one outcome a target may accept.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace attnsim::fuzz {

// Rewrites the same file on every input so that a long run does not fill the disk.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const char* extension) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("attnsim-fuzz-" + std::to_string(::getpid()) + extension);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

}  // namespace attnsim::fuzz
