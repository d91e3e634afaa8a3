// `attnsim import-hf`: writes the architecture file for a Hugging Face config.json to stdout
// (or, with -o, atomically to a file).
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "core/error.h"
#include "import/importer.h"
#include "report/plot_render.h"

namespace attnsim::cli {

int run_import_hf(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "name", po::value<std::string>(),
      "display name of the model (default: the snapshot folder's name, else the file's stem)")(
      "params-label", po::value<std::string>(), "size label as published, e.g. 80B-A3B")(
      "output,o", po::value<std::string>(),
      "write to this file (replaced atomically; missing folders are created) instead of stdout");
  const auto vm = parse_options("import-hf", args, options, "config");
  if (vm.count("help")) {
    out << usage("import-hf", "CONFIG.json|SNAPSHOT_FOLDER [--name NAME] [-o FILE]", options,
                 {"import-hf path/to/config.json --name my-model -o architectures/my-model.yaml",
                  "import-hf ~/models/Qwen3-8B -o architectures/qwen3-8b-local.yaml",
                  "import-hf config.json --params-label 80B-A3B > my-model.yaml"});
    return 0;
  }
  if (!vm.count("config") || vm["config"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, "import-hf", "exactly one config.json", "none or several");
  import::ImportOptions import_options;
  if (vm.count("name")) import_options.display_name = vm["name"].as<std::string>();
  if (vm.count("params-label")) import_options.params_label = vm["params-label"].as<std::string>();
  const std::string yaml =
      import::import_hf(vm["config"].as<std::vector<std::string>>().front(), import_options);
  if (vm.count("output")) {
    const std::filesystem::path file = vm["output"].as<std::string>();
    report::write_file_if_changed(file, yaml);  // report/'s one writer: atomic, folders made
    report_written({file});
  } else
    out << yaml;
  return 0;
}

}  // namespace attnsim::cli
