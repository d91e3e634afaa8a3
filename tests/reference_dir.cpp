// The reference folder's path, from the compile definition ATTNSIM_REFERENCE_DIR set on this
// file alone (CMakeLists.txt).
#include "tests/reference_dir.h"

namespace attnsim::testing {

std::filesystem::path reference_dir() { return ATTNSIM_REFERENCE_DIR; }

}  // namespace attnsim::testing
