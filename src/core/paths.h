// Where attnsim finds its shipped data (architectures/, configs/): the source tree it was built
// from. One function, so that the build's absolute path is compiled into one file only.
#pragma once

#include <filesystem>

namespace attnsim {

std::filesystem::path source_dir();

}  // namespace attnsim
