// Temporary-file-and-rename writes, shared by every place attnsim writes a file.
#include "core/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "core/error.h"

namespace attnsim {

namespace fs = std::filesystem;

namespace {
// Same folder, so that the rename never crosses file systems; pid and counter keep concurrent
// writers (several processes, or threads) from sharing a temporary.
fs::path temporary_for(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() /
         fmt::format(".{}.tmp-{}-{}", path.filename().string(), ::getpid(), counter++);
}

[[noreturn]] void cannot_write(const fs::path& path, const std::string& found) {
  throw UserError({path.string(), 0, 0}, "", "a writable path", found,
                  "check that the folder exists and is writable");
}
}  // namespace

void produce_file_atomically(const fs::path& path,
                             const std::function<void(const fs::path&)>& produce) {
  const fs::path temporary = temporary_for(path);
  try {
    produce(temporary);
    if (!fs::exists(temporary)) cannot_write(path, "no output from the program writing it");
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) cannot_write(path, fmt::format("a failed rename ({})", error.message()));
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  produce_file_atomically(path, [&](const fs::path& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) cannot_write(path, "a folder where no file can be created");
    write(out);
    out.flush();
    if (!out) cannot_write(path, "a write error");
    out.close();
    if (!out) cannot_write(path, "a write error on close");
  });
}

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace attnsim
