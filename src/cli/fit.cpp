// `attnsim fit`: the largest context at a batch (or the largest batch at a context) whose
// weights, KV cache, state and an activation reserve fit on one accelerator per rank.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "report/roofline_report.h"

namespace attnsim::cli {

namespace {
// The largest value (context or batch) that fits with `options`.
FitResult search(const Architecture& architecture, const Hardware& hardware,
                 const FitOptions& options, const report::FitReportInput& input) {
  if (!input.search_context)
    // Searched up to 2^24 sequences: far beyond any serving batch.
    return fit_batch(architecture, hardware, options, input.fixed, 1ULL << 24);
  // Searched up to the model's max context (2^30 tokens when the file gives none).
  return fit_context(architecture, hardware, options, input.fixed,
                     architecture.dims.max_context.value_or(1ULL << 30));
}

// When nothing fits: the smallest power-of-two TP degree (up to 64) that fits at the chosen
// dtypes, and each narrower weights dtype (fp8, int4) at the chosen TP.
std::vector<report::FitReportInput::Alternative> alternatives(const Architecture& architecture,
                                                              const Hardware& hardware,
                                                              const report::FitReportInput& input) {
  std::vector<report::FitReportInput::Alternative> found;
  const DType weights = input.options.weights_dtype.value_or(architecture.dtypes.weights);
  for (std::uint64_t tp = input.options.tp * 2; tp <= 64; tp *= 2) {
    FitOptions options = input.options;
    options.tp = tp;
    const FitResult result = search(architecture, hardware, options, input);
    if (result.value) {
      found.push_back({tp, weights, result});
      break;
    }
  }
  for (const DType narrower : {DType::fp8, DType::int4}) {
    if (dtype_bits(narrower) >= dtype_bits(weights)) continue;
    FitOptions options = input.options;
    options.weights_dtype = narrower;
    const FitResult result = search(architecture, hardware, options, input);
    if (result.value) found.push_back({options.tp, narrower, result});
  }
  return found;
}

bool has_experts(const Architecture& architecture) {
  for (const Layer& layer : architecture.layers)
    if (layer.ffn && layer.ffn->n_experts > 0) return true;
  return false;
}
}  // namespace

int run_fit(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  add_hw_option(options, "");
  add_tp_option(options);
  add_batch_option(options, "");
  options.add_options()("context,c", po::value<std::string>(),
                        "find the largest batch at this context instead");
  add_weights_dtype_option(options);
  add_cache_dtype_options(options, false);
  options.add_options()("reserve", po::value<std::string>()->default_value("0.1"),
                        "fraction of capacity kept for activations and workspace");
  add_max_context_option(options);
  add_format_option(options, {report::OutputFormat::text, report::OutputFormat::json});
  add_architecture_options(options);
  const auto vm = parse_options("fit", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("fit",
                 "ARCHITECTURE|FILE --hw PRESET [--batch B | --context L] [options]\n\n"
                 "Exit 0 when something fits, 1 when nothing does (alternatives are printed).",
                 options,
                 {"fit nemotron-3-nano-30b-a3b --hw a10g --weights-dtype bf16",
                  "fit qwen3-next-80b-a3b --hw h100-sxm --context 128k",
                  "fit deepseek-v3 --hw h200 --tp 8 --kv-dtype fp8 --format json"});
    return 0;
  }
  const std::string name = single_architecture_name("fit", vm);
  const std::string preset = hw_option(vm);
  if (vm.count("batch") && vm.count("context"))
    throw UserError({}, "fit",
                    "either --batch (search the context) or --context (search the batch)", "both");
  const double reserve = number_option(
      vm, "reserve", [](double fraction) { return fraction >= 0.0 && fraction < 1.0; },
      "a fraction in [0, 1)");
  FitOptions fit_options;
  fit_options.tp = tp_option(vm);
  fit_options.weights_dtype = dtype_option(vm, "weights-dtype");
  fit_options.cache_dtypes = cache_dtype_options(vm);
  fit_options.activation_reserve_fraction = reserve;
  const Architecture architecture = load_with_settings(vm, name);
  const Hardware hardware = load_hardware(preset);

  report::FitReportInput input;
  input.name = architecture.name;
  input.hardware = hardware.display_name;
  input.options = fit_options;
  input.fixed = 1;
  input.has_experts = has_experts(architecture);
  input.max_context = architecture.dims.max_context;
  if (vm.count("context")) {
    input.search_context = false;
    input.fixed = parse_token_count(vm["context"].as<std::string>(), "--context");
  } else if (vm.count("batch")) {
    input.fixed = batch_option(vm);
  }
  // A batch searched at a context past max_context answers for an extrapolated model; a
  // context search stops at max_context (the text says when it was the limit).
  if (!input.search_context) warn_beyond_max_context(vm, {architecture}, {input.fixed});
  input.result = search(architecture, hardware, fit_options, input);
  if (!input.result.value) input.alternatives = alternatives(architecture, hardware, input);
  out << report::render_fit(
      input, format_option(vm, {report::OutputFormat::text, report::OutputFormat::json}));
  return input.result.value ? 0 : 1;
}

}  // namespace attnsim::cli
