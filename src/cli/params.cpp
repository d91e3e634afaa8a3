// `attnsim params`: total and active parameters of architectures, broken down by component.
#include "cost/params.h"

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/params_report.h"

namespace attnsim::cli {

int run_params(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  const auto vm = parse_options("params", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("params", "[ARCHITECTURE|FILE ...] [--all] [options]", options,
                 {"params deepseek-v3", "params --all --format markdown",
                  "params qwen3-next-80b-a3b --set ffns.moe.n_experts=256 --format json"});
    return 0;
  }
  const auto format = format_option(vm, kAllFormats);
  std::vector<ParamReport> reports;
  for (const auto& architecture : load_architectures("params", vm))
    reports.push_back(model_params(architecture));
  out << report::render_params(reports, format);
  return 0;
}

}  // namespace attnsim::cli
