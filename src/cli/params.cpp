// `attnsim params`: total and active parameters of architectures, broken down by component.
#include "cost/params.h"

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "import/hf_tensor_names.h"
#include "report/params_report.h"
#include "report/params_tensors_report.h"

namespace attnsim::cli {

int run_params(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "by", po::value<std::string>()->default_value("component"),
      "component: totals by component; tensor: every tensor with transformers' name "
      "(model.layers.*.self_attn.q_proj.weight), its layer count and size, to diff against "
      "model.named_parameters()");
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  const auto vm = parse_options("params", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("params", "[ARCHITECTURE|FILE ...] [--all] [options]", options,
                 {"params deepseek-v3", "params --all --format markdown",
                  "params qwen3-next-80b-a3b --by tensor",
                  "params qwen3-next-80b-a3b --set ffns.moe.n_experts=256 --format json"});
    return 0;
  }
  const auto format = format_option(vm, kAllFormats);
  const std::string by = vm["by"].as<std::string>();
  if (by != "component" && by != "tensor")
    throw UserError({}, "--by", "component or tensor", "'" + by + "'");
  std::vector<ParamReport> reports;
  std::vector<report::TensorListing> listings;
  for (const auto& architecture : load_architectures("params", vm)) {
    reports.push_back(model_params(architecture));
    if (by == "tensor")
      listings.push_back({architecture.name, architecture.source.model_type,
                          exact_params_total(architecture, "a listing of every tensor"),
                          import::transformers_tensors(architecture)});
  }
  out << (by == "tensor" ? report::render_params_tensors(listings, format)
                         : report::render_params(reports, format));
  return 0;
}

}  // namespace attnsim::cli
