// `attnsim params`: total and active parameters of architectures, broken down by component.
#include "cost/params.h"

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/params_report.h"

namespace attnsim::cli {

int run_params(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown, csv or json");
  const auto vm = parse_options("params", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("params", "[ARCHITECTURE|FILE ...] [--all] [options]", options);
    return 0;
  }
  std::vector<std::string> names;
  if (vm.count("architecture")) names = vm["architecture"].as<std::vector<std::string>>();
  if (vm.count("all"))
    for (const auto& file : list_architecture_files()) names.push_back(file.string());
  if (names.empty())
    throw UserError({}, "params", "at least one architecture name or --all", "none",
                    "`attnsim list` shows the shipped names");
  std::vector<ParamReport> reports;
  for (const auto& name : names) reports.push_back(model_params(load_architecture(name)));
  out << report::render_params(reports, format_option(vm, "format"));
  return 0;
}

}  // namespace attnsim::cli
