// Where attnsim finds its shipped data (architectures/, configs/). One function, so that the
// build's absolute paths are compiled into one file only.
#pragma once

#include <filesystem>
#include <vector>

namespace attnsim {

// $ATTNSIM_DATA_DIR if set; else the source tree attnsim was built from, while it exists; else
// the data folder of the install prefix (<prefix>/share/attnsim, see `cmake --install`).
std::filesystem::path source_dir();

// The *.yaml files directly in `folder`, sorted by name: the registries of architectures, claims,
// engine profiles, hardware presets and report definitions.
std::vector<std::filesystem::path> yaml_files_in(const std::filesystem::path& folder);

}  // namespace attnsim
