// `attnsim import-hf`: a Hugging Face config.json → an architecture file (YAML text).
#pragma once

#include <string>

namespace attnsim::import {

struct ImportOptions {
  std::string display_name;  // empty: derived from the file name
  std::string params_label;  // empty: "unlabelled"
};

// Imports `config_path`. Throws UserError for an unknown model_type (listing the known ones) or
// a key the mapping needs that the file lacks. The output is deterministic: importing the same
// file twice gives identical text.
std::string import_hf(const std::string& config_path, const ImportOptions& options = {});

}  // namespace attnsim::import
