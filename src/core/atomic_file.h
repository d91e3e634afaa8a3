// Writing a file so that readers see either the old contents or the new, never a half-written
// file: write a temporary in the same folder, then rename it over the target (atomic on POSIX).
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace attnsim {

// Calls `write` with a stream on a temporary file beside `path`, then renames it to `path`,
// replacing any file there. If `write` throws, the stream fails or the rename fails, the
// temporary is removed, `path` is left as it was, and the error propagates (a write or rename
// failure as a UserError naming `path`).
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);
// For files another program writes (gnuplot's images): calls `produce` with a temporary path
// beside `path` for it to create, then renames that file to `path`. If `produce` throws, the
// temporary is removed and `path` is left as it was; if it creates no file, that is a UserError.
void produce_file_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::filesystem::path&)>& produce);

}  // namespace attnsim
