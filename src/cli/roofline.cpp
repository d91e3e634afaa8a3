// `attnsim roofline`: per-rank FLOPs, memory traffic, time and bound of a decode step and a
// prefill on a hardware preset.
#include "cost/roofline.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/roofline_report.h"

namespace attnsim::cli {

int run_roofline(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "hw", po::value<std::string>(), "hardware preset (configs/hardware/) or YAML file")(
      "tp", po::value<std::string>()->default_value("1"), "tensor-parallel ranks")(
      "batch,b", po::value<std::string>()->default_value("1"), "sequences in the batch")(
      "context,c", po::value<std::string>()->default_value("4k"), "context L of the decode step")(
      "prefill,p", po::value<std::string>()->default_value("4k"), "prefill length T per sequence")(
      "compute-dtype", po::value<std::string>()->default_value("bf16"),
      "which peak of the preset the matmuls run at (bf16, fp8, ...)")(
      "weights-dtype", po::value<std::string>(), "override the weights dtype")(
      "kv-dtype", po::value<std::string>(), "override the KV-cache dtype")(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype")(
      "timing", po::value<std::string>()->default_value("measured"), kTimingHelp)(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown, csv or json");
  const auto vm = parse_options("roofline", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("roofline", "ARCHITECTURE|FILE --hw PRESET [options]", options);
    return 0;
  }
  if (!vm.count("architecture") || vm["architecture"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, "roofline", "exactly one architecture", "none or several",
                    "`attnsim list` shows the shipped names");
  if (!vm.count("hw"))
    throw UserError({}, "--hw", "a hardware preset", "none", "see configs/hardware/");
  RooflineOptions roofline_options;
  roofline_options.tp = parse_token_count(vm["tp"].as<std::string>(), "--tp");
  roofline_options.batch = parse_token_count(vm["batch"].as<std::string>(), "--batch");
  roofline_options.context = parse_token_count(vm["context"].as<std::string>(), "--context");
  roofline_options.prefill_tokens = parse_token_count(vm["prefill"].as<std::string>(), "--prefill");
  roofline_options.compute_dtype = vm["compute-dtype"].as<std::string>();
  roofline_options.timing = timing_option(vm);
  roofline_options.weights_dtype = dtype_option(vm, "weights-dtype");
  roofline_options.cache_dtypes = {dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
                                   std::nullopt};
  const Architecture architecture =
      load_architecture(vm["architecture"].as<std::vector<std::string>>().front());
  const Hardware hardware = load_hardware(vm["hw"].as<std::string>());
  out << report::render_roofline(roofline(architecture, hardware, roofline_options),
                                 format_option(vm, "format"));
  return 0;
}

}  // namespace attnsim::cli
