// `attnsim import-hf`: a Hugging Face config.json → an architecture file (YAML text).
#pragma once

#include <filesystem>
#include <string>

namespace attnsim::import {

struct ImportOptions {
  std::string display_name;  // empty: derived from the file name
  std::string params_label;  // empty: "unlabelled"
};

// Imports `config_path`: a config.json, or a local Hugging Face snapshot folder (its config.json,
// with hf_quant_config.json beside it where the checkpoint has one). Throws UserError for an
// unknown model_type (listing the known ones) or a key the mapping needs that the file lacks.
// The output is deterministic: importing the same file twice gives identical text.
std::string import_hf(const std::string& config_path, const ImportOptions& options = {});

// The config.json a path names: the path itself, or FOLDER/config.json for a snapshot folder
// (a UserError naming the folder when it has none).
std::filesystem::path hf_config_file(const std::filesystem::path& path);
// The name a model at `path` goes by when none is given: the snapshot folder's for FOLDER or
// FOLDER/config.json, else the file's stem.
std::string model_name(const std::filesystem::path& path);

}  // namespace attnsim::import
