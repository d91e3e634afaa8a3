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
  const std::vector<std::string> names = architecture_names("params", vm);
  std::vector<ParamReport> reports;
  for (const auto& name : names) reports.push_back(model_params(load_architecture(name)));
  out << report::render_params(reports, format_option(vm, "format"));
  return 0;
}

}  // namespace attnsim::cli
