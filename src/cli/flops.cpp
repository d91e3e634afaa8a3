// `attnsim flops`: FLOPs of a prefill and of one decode step, by layer kind and operation.
#include "cost/flops.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/flops_report.h"

namespace attnsim::cli {

namespace {
FlopOptions flop_options(const po::variables_map& vm) {
  FlopOptions options;
  const std::string causal = vm["causal"].as<std::string>();
  if (causal != "half" && causal != "full")
    throw UserError({}, "--causal", "half or full", fmt::format("'{}'", causal),
                    "half skips masked pairs (FlashAttention), full counts them (Kaplan)");
  options.causal = causal == "half" ? CausalConvention::half : CausalConvention::full;
  const std::string linear = vm["linear"].as<std::string>();
  if (linear != "chunked" && linear != "recurrent")
    throw UserError({}, "--linear", "chunked or recurrent", fmt::format("'{}'", linear));
  options.linear = linear == "chunked" ? LinearAlgorithm::chunked : LinearAlgorithm::recurrent;
  options.chunk = parse_token_count(vm["chunk"].as<std::string>(), "--chunk");
  return options;
}

bool has_recurrent_layers(const Architecture& architecture) {
  for (const Layer& layer : architecture.layers)
    if (layer.mixer && layer.mixer->full_attention_equivalent() == nullptr) return true;
  return false;
}
}  // namespace

int run_flops(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "prefill,p", po::value<std::string>()->default_value("32k"), "prefill length T")(
      "decode-at,d", po::value<std::string>()->default_value("128k"),
      "context L seen by one decode step")(
      "causal", po::value<std::string>()->default_value("half"),
      "half: skip masked pairs (FlashAttention); full: count them (Kaplan)")(
      "linear", po::value<std::string>()->default_value("chunked"),
      "prefill algorithm of linear/SSM layers: chunked or recurrent")(
      "chunk", po::value<std::string>()->default_value("64"), "chunk size C");
  add_max_context_option(options);
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  const auto vm = parse_options("flops", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("flops", "ARCHITECTURE|FILE ... [options]", options,
                 {"flops qwen3-next-80b-a3b --prefill 32k --decode-at 128k",
                  "flops llama-3-8b qwen3-8b --causal full --format markdown",
                  "flops kimi-linear-48b-a3b --linear recurrent --format json"});
    return 0;
  }
  const auto prefill = parse_token_count(vm["prefill"].as<std::string>(), "--prefill");
  const auto decode_at = parse_token_count(vm["decode-at"].as<std::string>(), "--decode-at");
  const FlopOptions chosen = flop_options(vm);
  std::vector<report::FlopReportEntry> entries;
  const auto architectures = load_architectures("flops", vm);
  warn_beyond_max_context(vm, architectures, {prefill, decode_at});
  for (const Architecture& architecture : architectures) {
    report::FlopReportEntry entry{model_flops(architecture, prefill, decode_at, chosen), {}};
    if (has_recurrent_layers(architecture)) {
      FlopOptions other = chosen;
      other.linear = chosen.linear == LinearAlgorithm::chunked ? LinearAlgorithm::recurrent
                                                               : LinearAlgorithm::chunked;
      entry.other_algorithm = model_flops(architecture, prefill, decode_at, other);
    }
    entries.push_back(std::move(entry));
  }
  out << report::render_flops(entries, format_option(vm, kAllFormats));
  return 0;
}

}  // namespace attnsim::cli
