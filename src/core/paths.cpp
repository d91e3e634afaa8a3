// The data folder's path, from the compile definitions ATTNSIM_SOURCE_DIR and
// ATTNSIM_INSTALLED_DATA_DIR set on this file alone (CMakeLists.txt), so that the other objects
// do not depend on where the tree is checked out or installed.
#include "core/paths.h"

#include <algorithm>
#include <cstdlib>

namespace attnsim {

std::filesystem::path source_dir() {
  if (const char* overridden = std::getenv("ATTNSIM_DATA_DIR")) return overridden;
  const std::filesystem::path tree = ATTNSIM_SOURCE_DIR;
  std::error_code ignored;
  if (std::filesystem::is_directory(tree / "architectures", ignored)) return tree;
  return ATTNSIM_INSTALLED_DATA_DIR;
}

std::vector<std::filesystem::path> yaml_files_in(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace attnsim
