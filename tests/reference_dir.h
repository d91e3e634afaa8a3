// The shared reference data beside the checkout (../shared/reference): worked examples, configs.
#pragma once

#include <filesystem>

namespace attnsim::testing {

std::filesystem::path reference_dir();

}  // namespace attnsim::testing
