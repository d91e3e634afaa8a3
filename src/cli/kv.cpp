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
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "context,c", po::value<std::string>()->default_value("4k,32k,128k,1M"),
      "context lengths: integers or with k (×1024) / M (×1024²), comma-separated")(
      "batch,b", po::value<std::string>()->default_value("1"), "sequences in the batch")(
      "kv-dtype", po::value<std::string>(),
      "override the KV-cache dtype (fp32, bf16, fp16, fp8, int8, int4)")(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype")(
      "conv-dtype", po::value<std::string>(), "override the conv-state dtype")(
      "units,u", po::value<std::string>()->default_value("GiB"),
      "GiB (2^30 bytes), GB (10^9), MiB, MB or bytes")(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown, csv or json")(
      "no-breakdown", "omit the per-layer-kind breakdown")(
      "engine,e", po::value<std::string>()->default_value("paper"),
      "paper (the architectural minimum) or an engine profile in configs/engines/ (vllm, sglang, "
      "llama.cpp, transformers) or a YAML file: prints what the engine allocates beside the "
      "minimum")("hw", po::value<std::string>(),
                 "hardware preset in configs/hardware/: its GPU generation selects the engine's "
                 "hardware-dependent defaults (SGLang's fp8 DSA cache on Blackwell)");
  const auto vm = parse_options("kv", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("kv", "[ARCHITECTURE|FILE ...] [--all] [options]", options);
    return 0;
  }
  const std::vector<std::string> names = architecture_names("kv", vm);

  const auto contexts = parse_token_list(vm["context"].as<std::string>(), "--context");
  const auto batch = parse_token_count(vm["batch"].as<std::string>(), "--batch");
  const CacheDTypeOverrides overrides{dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
                                      dtype_option(vm, "conv-dtype")};
  report::KvReportOptions report_options;
  report_options.unit = unit_option(vm, "units");
  report_options.format = format_option(vm, "format");
  report_options.by_kind = !vm.count("no-breakdown");

  const std::string engine_name = vm["engine"].as<std::string>();
  if (engine_name == "paper") {
    std::vector<MemoryReport> reports;
    for (const auto& name : names)
      reports.push_back(kv_memory(load_architecture(name), contexts, batch, overrides));
    out << report::render_kv(reports, report_options);
    return 0;
  }
  EngineProfile engine = load_engine_profile(engine_name);
  const std::optional<std::uint64_t> cuda_sm =
      vm.count("hw") ? load_hardware(vm["hw"].as<std::string>()).cuda_sm : std::nullopt;
  std::vector<Architecture> architectures;
  for (const auto& name : names) architectures.push_back(load_architecture(name));
  std::vector<report::EngineKv> reports;
  for (const auto& architecture : architectures)
    reports.push_back({kv_memory(architecture, contexts, batch, overrides),
                       engine_memory(architecture, contexts, batch, engine, overrides, cuda_sm)});
  engine.not_modelled = notes_for(engine, architectures);  // only the notes that apply
  out << report::render_kv_engine(reports, engine, report_options);
  return 0;
}

}  // namespace attnsim::cli
