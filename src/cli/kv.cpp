// `attnsim kv`: KV cache and recurrent state of one or more architectures vs context and batch.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cost/engine.h"
#include "cost/hardware.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "report/kv_report.h"

namespace attnsim::cli {

int run_kv(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_context_option(options, "4k,32k,128k,1M");
  add_batch_option(options);
  add_cache_dtype_options(options);
  add_units_option(options);
  add_format_option(options, kAllFormats);
  options.add_options()("no-breakdown", "omit the per-layer-kind breakdown");
  add_engine_option(options);
  options.add_options()(
      "hw", po::value<std::string>(),
      "hardware preset in configs/hardware/: its GPU generation selects the "
      "engine's hardware-dependent defaults (SGLang's fp8 DSA cache on Blackwell)");
  add_architecture_options(options);
  const auto vm = parse_options("kv", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("kv", "[ARCHITECTURE|FILE ...] [--all] [options]", options,
                 {"kv qwen3-next-80b-a3b gemma-3-27b --context 4k,128k,1M --batch 8",
                  "kv llama-3-8b --kv-dtype fp8 --units GB --context 1k:32k",
                  "kv qwen3-next-80b-a3b --set mixers.attn.n_kv_heads=4 --format json",
                  "kv deepseek-v3.2 --context 128k --engine vllm"});
    return 0;
  }
  const auto contexts = context_option(vm);
  const auto batch = batch_option(vm);
  const CacheDTypeOverrides overrides = cache_dtype_options(vm);
  report::KvReportOptions report_options;
  report_options.format = format_option(vm, kAllFormats);
  report_options.unit = unit_option(vm, report_options.format);
  report_options.by_kind = !vm.count("no-breakdown");
  const std::vector<Architecture> architectures = load_architectures("kv", vm);
  warn_beyond_max_context(vm, architectures, contexts);

  const std::string engine_name = vm["engine"].as<std::string>();
  if (engine_name == "paper") {
    std::vector<MemoryReport> reports;
    for (const auto& architecture : architectures)
      reports.push_back(kv_memory(architecture, contexts, batch, overrides));
    out << report::render_kv(reports, report_options);
    return 0;
  }
  EngineProfile engine = load_engine_profile(engine_name);
  const std::optional<std::uint64_t> cuda_sm =
      vm.count("hw") ? load_hardware(vm["hw"].as<std::string>()).cuda_sm : std::nullopt;
  std::vector<report::EngineKv> reports;
  for (const auto& architecture : architectures)
    reports.push_back({kv_memory(architecture, contexts, batch, overrides),
                       engine_memory(architecture, contexts, batch, engine, overrides, cuda_sm)});
  engine.not_modelled = notes_for(engine, architectures);  // only the notes that apply
  out << report::render_kv_engine(reports, engine, report_options);
  return 0;
}

}  // namespace attnsim::cli
