// `attnsim fit`: the largest context at a batch (or the largest batch at a context) whose
// weights, KV cache, state and an activation reserve fit on one accelerator per rank.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "report/roofline_report.h"

namespace attnsim::cli {

int run_fit(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "hw", po::value<std::string>(), "hardware preset (configs/hardware/) or YAML file")(
      "tp", po::value<std::string>()->default_value("1"), "tensor-parallel ranks")(
      "batch,b", po::value<std::string>(), "find the largest context at this batch (default 1)")(
      "context,c", po::value<std::string>(), "find the largest batch at this context instead")(
      "weights-dtype", po::value<std::string>(), "override the weights dtype")(
      "kv-dtype", po::value<std::string>(), "override the KV-cache dtype")(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype")(
      "reserve", po::value<double>()->default_value(0.1),
      "fraction of capacity kept for activations and workspace")(
      "format,f", po::value<std::string>()->default_value("text"), "text or json");
  const auto vm = parse_options("fit", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("fit", "ARCHITECTURE|FILE --hw PRESET [--batch B | --context L] [options]",
                 options);
    return 0;
  }
  if (!vm.count("architecture") || vm["architecture"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, "fit", "exactly one architecture", "none or several",
                    "`attnsim list` shows the shipped names");
  if (!vm.count("hw"))
    throw UserError({}, "--hw", "a hardware preset", "none", "see configs/hardware/");
  if (vm.count("batch") && vm.count("context"))
    throw UserError({}, "fit",
                    "either --batch (search the context) or --context (search the batch)", "both");
  const double reserve = vm["reserve"].as<double>();
  if (!(reserve >= 0.0 && reserve < 1.0))
    throw UserError({}, "--reserve", "a fraction in [0, 1)", fmt::format("{}", reserve));
  FitOptions fit_options;
  fit_options.tp = parse_token_count(vm["tp"].as<std::string>(), "--tp");
  fit_options.weights_dtype = dtype_option(vm, "weights-dtype");
  fit_options.cache_dtypes = {dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
                              std::nullopt};
  fit_options.activation_reserve_fraction = reserve;
  const Architecture architecture =
      load_architecture(vm["architecture"].as<std::vector<std::string>>().front());
  const Hardware hardware = load_hardware(vm["hw"].as<std::string>());

  report::FitReportInput input{architecture.name, hardware.display_name, fit_options, true, 1, {}};
  if (vm.count("context")) {
    input.search_context = false;
    input.fixed = parse_token_count(vm["context"].as<std::string>(), "--context");
    // Searched up to 2^24 sequences: far beyond any serving batch.
    input.result = fit_batch(architecture, hardware, fit_options, input.fixed, 1ULL << 24);
  } else {
    if (vm.count("batch"))
      input.fixed = parse_token_count(vm["batch"].as<std::string>(), "--batch");
    // Searched up to the model's max context (2^30 tokens when the file gives none).
    const std::uint64_t limit = architecture.dims.max_context.value_or(1ULL << 30);
    input.result = fit_context(architecture, hardware, fit_options, input.fixed, limit);
  }
  out << report::render_fit(input, format_option(vm, "format"));
  return 0;
}

}  // namespace attnsim::cli
