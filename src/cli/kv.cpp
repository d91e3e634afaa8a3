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

namespace {
// What the run adds to the heading: the rank the sizes are for, the drafted tokens.
std::string kv_run_line(const EngineRun& run) {
  std::string line;
  if (run.tp > 1)
    line += fmt::format(
        "sizes per GPU of --tp {} (both sides: KV heads split across the ranks, replicated where "
        "fewer; an MLA latent on every rank; recurrent state split by value head); no "
        "full-attention baseline per rank\n",
        run.tp);
  if (run.mtp_speculative_tokens > 0)
    line += fmt::format(
        "speculative decoding, {} MTP tokens: the MTP modules' layers cached; recurrent layers "
        "keep {} more conv columns and {} more state slots per sequence (the paper side: the "
        "model alone)\n",
        run.mtp_speculative_tokens, run.mtp_speculative_tokens, run.mtp_speculative_tokens);
  return line;
}

// llama.cpp's flags for the rows: the cells that give each of the batch's sequences L tokens.
std::string streams_line(const StreamLayout& layout) {
  if (layout.unified)
    return fmt::format(
        "llama.cpp -np {} --kv-unified -c batch × context: one stream of pad256(batch × "
        "context) cells (sliding layers without swa_full: pad256(W × {} + n_ubatch)); one "
        "recurrent cell per slot\n",
        layout.slots, layout.slots);
  return fmt::format(
      "llama.cpp -np {} -c {} × context: {} streams of pad256(context) cells, busy or not; one "
      "recurrent cell per slot\n",
      layout.slots, layout.slots, layout.slots);
}
}  // namespace

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
      "engine's hardware-dependent defaults (page sizes and attention backends, SGLang's fp8 DSA "
      "records on Blackwell)");
  add_tp_option(options);
  options.add_options()(
      "mtp-speculative-tokens", po::value<std::string>(),
      "vLLM speculative decoding with the model's MTP modules (num_speculative_tokens N): their "
      "layers join the cache; recurrent layers keep N more conv columns and N more state slots")(
      "parallel", po::value<std::string>(),
      "llama.cpp's -np: sequence slots (n_seq_max), each its own stream of cells unless "
      "--kv-unified; default the batch (libllama) or llama-server's auto 4 slots, unified")(
      "kv-unified", "llama.cpp's --kv-unified: one stream of batch × context cells for all slots");
  add_architecture_options(options);
  const auto vm = parse_options("kv", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("kv", "[ARCHITECTURE|FILE ...] [--all] [options]", options,
                 {"kv qwen3-next-80b-a3b gemma-3-27b --context 4k,128k,1M --batch 8",
                  "kv llama-3-8b --kv-dtype fp8 --units GB --context 1k:32k",
                  "kv qwen3-next-80b-a3b --set mixers.attn.n_kv_heads=4 --format json",
                  "kv deepseek-v3.2 --context 128k --engine vllm",
                  "kv qwen3-235b-a22b --engine sglang --tp 8 --context 32k"});
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
  EngineRun run;
  run.tp = tp_option(vm);
  const auto paper = [&](const Architecture& architecture) {
    return run.tp == 1 ? kv_memory(architecture, contexts, batch, overrides)
                       : paper_memory_per_rank(architecture, contexts, batch, overrides, run.tp);
  };
  if (engine_name == "paper") {
    if (vm.count("mtp-speculative-tokens"))
      throw UserError({}, "--mtp-speculative-tokens", "an engine that drafts (--engine vllm)",
                      "--engine paper", "the paper minimum keeps no draft model's cache");
    for (const char* option : {"parallel", "kv-unified"})
      if (vm.count(option))
        throw UserError({}, fmt::format("--{}", option),
                        "--engine llama.cpp or llama-server (llama.cpp's sequence slots)",
                        "--engine paper", "--batch gives the paper minimum's sequences");
    report_options.run_line = kv_run_line(run);
    std::vector<MemoryReport> reports;
    for (const auto& architecture : architectures) reports.push_back(paper(architecture));
    out << report::render_kv(reports, report_options);
    return 0;
  }
  EngineProfile engine = load_engine_profile(engine_name);
  // Which engines' sharding and drafting were read: vLLM's and SGLang's (capacity's rules).
  if (run.tp > 1 && engine.name != "vllm" && engine.name != "sglang")
    throw UserError({}, "--tp", "--engine vllm, sglang or paper (whose KV sharding is modelled)",
                    fmt::format("--engine {}", engine.name), "drop --tp");
  if (vm.count("mtp-speculative-tokens")) {
    if (engine.name != "vllm")
      throw UserError({}, "--mtp-speculative-tokens",
                      "--engine vllm (its MTP drafting's cache was read: mamba_utils.py, "
                      "num_speculative_blocks)",
                      fmt::format("--engine {}", engine.name));
    run.mtp_speculative_tokens = parse_token_count(vm["mtp-speculative-tokens"].as<std::string>(),
                                                   "--mtp-speculative-tokens");
  }
  if (vm.count("hw")) run.cuda_sm = load_hardware(vm["hw"].as<std::string>()).cuda_sm;
  if (vm.count("parallel"))
    run.parallel = parse_token_count(vm["parallel"].as<std::string>(), "--parallel");
  run.kv_unified = vm.count("kv-unified") > 0;
  report_options.run_line = kv_run_line(run);
  if (engine.kv_streams)
    report_options.run_line += streams_line(stream_layout(engine, run, batch));
  else
    stream_layout(engine, run, batch);  // --parallel or --kv-unified elsewhere: an error
  std::vector<report::EngineKv> reports;
  for (const auto& architecture : architectures)
    reports.push_back({paper(architecture),
                       engine_memory(architecture, contexts, batch, engine, overrides, run)});
  engine.not_modelled = notes_for(engine, architectures, overrides);  // only the notes that apply
  out << report::render_kv_engine(reports, engine, report_options);
  return 0;
}

}  // namespace attnsim::cli
