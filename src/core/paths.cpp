// The source tree's path, from the compile definition ATTNSIM_SOURCE_DIR set on this file alone
// (CMakeLists.txt), so that the other objects do not depend on where the tree is checked out.
#include "core/paths.h"

namespace attnsim {

std::filesystem::path source_dir() { return ATTNSIM_SOURCE_DIR; }

}  // namespace attnsim
