// `attnsim capacity`: how many tokens and requests of L tokens fit on one GPU beside the weights,
// as the paper minimum and as vLLM would report at start-up.
#include "cost/capacity.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/capacity_report.h"

namespace attnsim::cli {

int run_capacity(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "hw", po::value<std::string>(), "hardware preset (configs/hardware/) or YAML file")(
      "tp", po::value<std::string>()->default_value("1"), "tensor-parallel ranks")(
      "context,c", po::value<std::string>()->default_value("32k"),
      "tokens per request L (vLLM --max-model-len), comma-separated")(
      "weights-dtype", po::value<std::string>(), "override the weights dtype")(
      "kv-dtype", po::value<std::string>(), "override the KV-cache dtype")(
      "gpu-memory-utilization", po::value<std::string>()->default_value("0.9"),
      "fraction of GPU memory for weights + KV cache (vLLM's default 0.9)")(
      "max-num-batched-tokens", po::value<std::string>()->default_value("8192"),
      "vLLM's scheduler token budget, which sizes sliding-window needs")(
      "engine,e", po::value<std::string>()->default_value("vllm"),
      "engine profile whose pool is sized (vllm)")(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown or json");
  add_max_context_option(options);
  const auto vm = parse_options("capacity", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("capacity", "[ARCHITECTURE|FILE ...] --hw PRESET [options]", options,
                 {"capacity llama-3-8b --hw h100-sxm -c 8k",
                  "capacity qwen3-next-80b-a3b --hw h200 --tp 4 -c 32k",
                  "capacity deepseek-v3 --hw h200 --tp 8 --weights-dtype fp8 --format json"});
    return 0;
  }
  if (!vm.count("hw"))
    throw UserError({}, "--hw", "a hardware preset", "none", "see configs/hardware/");
  const std::string fraction_text = vm["gpu-memory-utilization"].as<std::string>();
  double fraction = 0.0;
  try {
    std::size_t used = 0;
    fraction = std::stod(fraction_text, &used);
    if (used != fraction_text.size()) fraction = -1.0;
  } catch (const std::exception&) {
    fraction = -1.0;
  }
  if (!(fraction > 0.0 && fraction <= 1.0))
    throw UserError({}, "--gpu-memory-utilization", "a fraction in (0, 1]",
                    fmt::format("'{}'", fraction_text));
  const EngineProfile engine = load_engine_profile(vm["engine"].as<std::string>());
  if (engine.name != "vllm")
    throw UserError({}, "--engine", "vllm (the engine whose start-up arithmetic is modelled)",
                    fmt::format("'{}'", engine.name));
  const Hardware hardware = load_hardware(vm["hw"].as<std::string>());

  report::CapacityReport capacity_report;
  capacity_report.hardware = hardware.display_name;
  capacity_report.engine = engine.display_name;
  CapacityOptions& o = capacity_report.options;
  o.tp = parse_token_count(vm["tp"].as<std::string>(), "--tp");
  o.weights_dtype = dtype_option(vm, "weights-dtype");
  o.cache_dtypes.kv_cache = dtype_option(vm, "kv-dtype");
  o.memory_fraction = fraction;
  o.max_num_batched_tokens =
      parse_token_count(vm["max-num-batched-tokens"].as<std::string>(), "--max-num-batched-tokens");
  o.cuda_sm = hardware.cuda_sm;
  for (const auto& name : architecture_names("capacity", vm)) {
    const Architecture architecture = load_architecture(name);
    warn_beyond_max_context(vm, {architecture},
                            parse_token_list(vm["context"].as<std::string>(), "--context"));
    for (const std::uint64_t context :
         parse_token_list(vm["context"].as<std::string>(), "--context")) {
      CapacityOptions at = o;
      at.max_model_len = context;
      report::CapacityRow row;
      row.architecture = architecture.name;
      row.max_model_len = context;
      row.paper = paper_capacity(architecture, hardware, at);
      row.engine = vllm_capacity(architecture, hardware, engine, at, &row.engine_missing);
      capacity_report.rows.push_back(std::move(row));
    }
  }
  out << report::render_capacity(capacity_report, format_option(vm, {report::OutputFormat::text,
                                                                     report::OutputFormat::markdown,
                                                                     report::OutputFormat::json}));
  return 0;
}

}  // namespace attnsim::cli
