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
  options.add_options()("help,h", "show this help");
  add_hw_option(options, "");
  add_tp_option(options);
  add_batch_option(options);
  options.add_options()("context,c", po::value<std::string>()->default_value("4k"),
                        "context L of the decode step")(
      "prefill,p", po::value<std::string>()->default_value("4k"), "prefill length T per sequence")(
      "compute-dtype", po::value<std::string>()->default_value("bf16"),
      "which peak of the preset the matmuls run at (bf16, fp8, ...)");
  add_weights_dtype_option(options);
  add_cache_dtype_options(options, false);
  options.add_options()("timing", po::value<std::string>()->default_value("measured"), kTimingHelp);
  add_max_context_option(options);
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  const auto vm = parse_options("roofline", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("roofline", "ARCHITECTURE|FILE --hw PRESET [options]", options,
                 {"roofline kimi-linear-48b-a3b --hw h100-sxm --batch 16 --context 1M",
                  "roofline deepseek-v3 --hw h200 --tp 8 --compute-dtype fp8 --weights-dtype fp8",
                  "roofline qwen3-8b --hw a10g --context 32k --format json"});
    return 0;
  }
  const std::string name = single_architecture_name("roofline", vm);
  const std::string preset = hw_option(vm);
  RooflineOptions roofline_options;
  roofline_options.tp = tp_option(vm);
  roofline_options.batch = batch_option(vm);
  roofline_options.context = parse_token_count(vm["context"].as<std::string>(), "--context");
  roofline_options.prefill_tokens = parse_token_count(vm["prefill"].as<std::string>(), "--prefill");
  roofline_options.compute_dtype = vm["compute-dtype"].as<std::string>();
  roofline_options.timing = timing_option(vm);
  roofline_options.weights_dtype = dtype_option(vm, "weights-dtype");
  roofline_options.cache_dtypes = cache_dtype_options(vm);
  const Architecture architecture = load_with_settings(vm, name);
  warn_beyond_max_context(vm, {architecture},
                          {roofline_options.context, roofline_options.prefill_tokens});
  const Hardware hardware = load_hardware(preset);
  out << report::render_roofline(roofline(architecture, hardware, roofline_options),
                                 format_option(vm, kAllFormats));
  return 0;
}

}  // namespace attnsim::cli
