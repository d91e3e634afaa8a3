// The data folder's path, from the compile definitions ATTNSIM_SOURCE_DIR and
// ATTNSIM_INSTALLED_DATA_DIR set on this file alone (CMakeLists.txt), so that the other objects
// do not depend on where the tree is checked out or installed.
#include "core/paths.h"

#include <cstdlib>

namespace attnsim {

std::filesystem::path source_dir() {
  if (const char* overridden = std::getenv("ATTNSIM_DATA_DIR")) return overridden;
  const std::filesystem::path tree = ATTNSIM_SOURCE_DIR;
  std::error_code ignored;
  if (std::filesystem::is_directory(tree / "architectures", ignored)) return tree;
  return ATTNSIM_INSTALLED_DATA_DIR;
}

}  // namespace attnsim
