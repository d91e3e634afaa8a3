// `attnsim capacity`: how many tokens and requests of L tokens fit on one GPU beside the weights,
// as the paper minimum and as vLLM or SGLang would report at start-up.
#include "cost/capacity.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "graph/load.h"
#include "report/capacity_report.h"

namespace attnsim::cli {

namespace {
// The engine's own name for its memory fraction, and its value: each engine takes only its own.
double memory_fraction(const po::variables_map& vm, const EngineProfile& engine,
                       const Hardware& hardware, std::uint64_t tp) {
  const bool sglang = engine.name == "sglang";
  const char* mine = sglang ? "mem-fraction-static" : "gpu-memory-utilization";
  const char* other = sglang ? "gpu-memory-utilization" : "mem-fraction-static";
  if (vm.count(other) && !vm[other].defaulted())
    throw UserError({}, fmt::format("--{}", other), fmt::format("--{} for {}", mine, engine.name),
                    fmt::format("--{}", other),
                    "vLLM takes --gpu-memory-utilization, SGLang --mem-fraction-static");
  if (sglang && !vm.count(mine))
    return sglang_default_memory_fraction(hardware.memory_capacity_bytes, tp);
  return number_option(
      vm, mine, [](double fraction) { return fraction > 0.0 && fraction <= 1.0; },
      "a fraction in (0, 1]");
}
MambaCacheMode mamba_cache_mode(const po::variables_map& vm) {
  const std::string mode = vm["mamba-cache-mode"].as<std::string>();
  if (mode == "none") return MambaCacheMode::none;
  if (mode == "align") return MambaCacheMode::align;
  if (mode == "all") return MambaCacheMode::all;
  throw UserError({}, "--mamba-cache-mode", "none, align or all", fmt::format("'{}'", mode));
}

KvSizeLine kv_size_line(const po::variables_map& vm) {
  const std::string line = vm["kv-size-line"].as<std::string>();
  if (line == "concurrency") return KvSizeLine::concurrency;
  if (line == "per-group") return KvSizeLine::per_group;
  throw UserError({}, "--kv-size-line", "concurrency or per-group", fmt::format("'{}'", line));
}
}  // namespace

int run_capacity(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_architecture_options(options);
  add_hw_option(options, "");
  add_tp_option(options);
  add_context_option(options, "32k",
                     "tokens per request L (vLLM --max-model-len, SGLang --context-length)");
  add_weights_dtype_option(options);
  add_cache_dtype_options(options);
  options.add_options()("engine,e", po::value<std::string>()->default_value("vllm"),
                        "engine whose start-up arithmetic is shown beside the paper minimum: "
                        "vllm or sglang")("gpu-memory-utilization",
                                          po::value<std::string>()->default_value("0.9"),
                                          "vLLM: fraction of GPU memory for weights + KV cache")(
      "mem-fraction-static", po::value<std::string>(),
      "SGLang: fraction of GPU memory for weights + KV cache (default: SGLang's own choice for "
      "the GPU and --tp, printed)")(
      "gpu-memory", po::value<std::string>(),
      "the GPU's total memory as CUDA reports it (vLLM's log: total_gpu_memory, e.g. 139.81GiB "
      "on an H200); default the preset's datasheet memory_capacity")(
      "reserved", po::value<std::string>()->default_value("0GiB"),
      "memory the engine measures at start-up beside weights and cache, subtracted from the "
      "budget: vLLM's log line gives it as non_torch_memory + PyTorch activation peak (e.g. "
      "1.59GiB)")("max-num-batched-tokens", po::value<std::string>()->default_value("8192"),
                  "vLLM's scheduler token budget, which sizes sliding-window needs")(
      "kv-memory", po::value<std::string>(),
      "the KV budget per rank itself, as vLLM logs it (\"Available KV cache memory: 6.01 GiB\" "
      "→ 6.01GiB): replaces the memory fraction, weights and --reserved")(
      "mamba-cache-mode", po::value<std::string>()->default_value("none"),
      "vLLM's state pages per request of a hybrid model: none (1, prefix caching off), align (2, "
      "prefix caching on) or all (one per block)")(
      "mtp-speculative-tokens", po::value<std::string>(),
      "vLLM speculative decoding with the model's MTP modules (speculative_config method mtp, "
      "num_speculative_tokens N): their layers join the pool; recurrent layers keep N more conv "
      "columns and N more state pages")(
      "kv-size-line", po::value<std::string>()->default_value("concurrency"),
      "how vLLM counts \"GPU KV cache size\": concurrency (⌊max concurrency × L⌋, v0.24) or "
      "per-group (pages // KV cache groups × the smallest block, v0.19 and before)");
  add_format_option(options, {report::OutputFormat::text, report::OutputFormat::markdown,
                              report::OutputFormat::json});
  const auto vm = parse_options("capacity", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("capacity", "[ARCHITECTURE|FILE ...] --hw PRESET [options]", options,
                 {"capacity llama-3-8b --hw h100-sxm -c 8k",
                  "capacity qwen3-next-80b-a3b --hw h200 --tp 4 -c 32k --engine sglang",
                  "capacity deepseek-v3 --hw h200 --tp 8 --weights-dtype fp8 --format json"});
    return 0;
  }
  const EngineProfile engine = load_engine_profile(vm["engine"].as<std::string>());
  if (engine.name != "vllm" && engine.name != "sglang")
    throw UserError({}, "--engine",
                    "vllm or sglang (the engines whose start-up arithmetic is "
                    "modelled)",
                    fmt::format("'{}'", engine.name));
  Hardware hardware = load_hardware(hw_option(vm));
  if (vm.count("gpu-memory")) {
    hardware.memory_capacity_bytes =
        parse_byte_size(vm["gpu-memory"].as<std::string>(), "--gpu-memory");
    if (hardware.memory_capacity_bytes == 0)
      throw UserError({}, "--gpu-memory", "a positive size", "0", "e.g. --gpu-memory 139.81GiB");
  }

  report::CapacityReport capacity_report;
  capacity_report.hardware = hardware.display_name;
  capacity_report.memory_bytes = hardware.memory_capacity_bytes;
  capacity_report.engine = engine.display_name;
  capacity_report.engine_name = engine.name;
  CapacityOptions& o = capacity_report.options;
  o.tp = tp_option(vm);
  o.weights_dtype = dtype_option(vm, "weights-dtype");
  o.cache_dtypes = cache_dtype_options(vm);
  o.memory_fraction = memory_fraction(vm, engine, hardware, o.tp);
  o.reserved_bytes = parse_byte_size(vm["reserved"].as<std::string>(), "--reserved");
  o.max_num_batched_tokens =
      parse_token_count(vm["max-num-batched-tokens"].as<std::string>(), "--max-num-batched-tokens");
  o.cuda_sm = hardware.cuda_sm;
  if (vm.count("kv-memory"))
    o.kv_memory_bytes = parse_byte_size(vm["kv-memory"].as<std::string>(), "--kv-memory");
  o.mamba_cache_mode = mamba_cache_mode(vm);
  if (vm.count("mtp-speculative-tokens"))
    o.mtp_speculative_tokens = parse_token_count(vm["mtp-speculative-tokens"].as<std::string>(),
                                                 "--mtp-speculative-tokens");
  o.kv_size_line = kv_size_line(vm);
  const auto contexts = context_option(vm);
  const auto architectures = load_architectures("capacity", vm);
  warn_beyond_max_context(vm, architectures, contexts);
  for (const Architecture& architecture : architectures) {
    for (const std::uint64_t context : contexts) {
      CapacityOptions at = o;
      at.max_model_len = context;
      report::CapacityRow row;
      row.architecture = architecture.name;
      row.max_model_len = context;
      row.paper = paper_capacity(architecture, hardware, at);
      row.engine = engine.name == "sglang"
                       ? sglang_capacity(architecture, hardware, engine, at, &row.engine_missing)
                       : vllm_capacity(architecture, hardware, engine, at, &row.engine_missing);
      capacity_report.rows.push_back(std::move(row));
    }
  }
  out << report::render_capacity(capacity_report, format_option(vm, {report::OutputFormat::text,
                                                                     report::OutputFormat::markdown,
                                                                     report::OutputFormat::json}));
  return 0;
}

}  // namespace attnsim::cli
