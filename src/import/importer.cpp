// Dispatch of a config.json to its family mapper, and rendering of the result.
#include "import/importer.h"

#include <fmt/format.h>

#include <filesystem>

#include "config/reader.h"
#include "import/families.h"
#include "import/weight_keys.h"

namespace attnsim::import {

std::filesystem::path hf_config_file(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) return path;
  const std::filesystem::path file = path / "config.json";
  if (!std::filesystem::is_regular_file(file))
    throw UserError({path.string(), 0, 0}, "config.json",
                    "a Hugging Face snapshot folder with a config.json", "a folder without one",
                    "give the folder a model was downloaded to (huggingface-cli download), or the "
                    "path of its config.json");
  return file;
}

std::string model_name(const std::filesystem::path& path) {
  const std::filesystem::path file = hf_config_file(path);
  const std::filesystem::path folder = file.parent_path().filename();
  return file.filename() == "config.json" && !folder.empty() && folder != "." && folder != ".."
             ? folder.string()
             : file.stem().string();
}

std::string import_hf(const std::string& path, const ImportOptions& options) {
  const std::string config_path = hf_config_file(path).string();
  const HfConfig config = load_hf_config(config_path);
  const Family* family = nullptr;
  std::vector<std::string> known;
  for (const auto& entry : families()) {
    if (entry.model_type == config.model_type()) family = &entry;
    known.emplace_back(entry.model_type);
  }
  if (family == nullptr)
    throw UserError(
        {config_path, 1, 1}, "model_type", "a model_type attnsim can import",
        config.model_type().empty() ? "no model_type" : fmt::format("'{}'", config.model_type()),
        config::did_you_mean(config.model_type(), known));
  ArchitectureDraft draft;
  draft.config = config_path;
  draft.model_type = config.model_type();
  draft.family = std::string(family->family);
  draft.display_name =
      options.display_name.empty() ? model_name(config_path) : options.display_name;
  draft.params_label = options.params_label.empty() ? "unlabelled" : options.params_label;
  family->map(config, draft);
  add_weight_keys(config, draft);
  for (const auto& note : config.defaults_used()) draft.notes.push_back("library default: " + note);
  if (config.partial())
    draft.notes.push_back("the config is marked _partial: only some keys were recovered");
  return to_yaml(draft);
}

}  // namespace attnsim::import
