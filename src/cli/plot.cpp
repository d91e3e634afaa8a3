// `attnsim plot memory|layers|flops|decode`: figures drawn with gnuplot, each written beside its
// CSV data and the gnuplot script that drew it.
#include "report/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "config/reader.h"
#include "cost/hardware.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "report/cost_plot.h"
#include "report/plot_render.h"

namespace attnsim::cli {

namespace {
std::filesystem::path output_option(const po::variables_map& vm) {
  if (!vm.count("output"))
    throw UserError({}, "-o", "an output file (.svg, .png or .pdf)", "none", "e.g. -o mem.svg");
  return vm["output"].as<std::string>();
}

void add_output_option(po::options_description& options) {
  options.add_options()("title", po::value<std::string>(), "figure title")(
      "output,o", po::value<std::string>(),
      "FILE.svg, FILE.png or FILE.pdf (missing folders are created)");
}

// Renders the figure at `image` (its folder created first) and reports what was written.
int draw(const std::filesystem::path& image, const report::FigureFiles& files, std::ostream& out) {
  prepare_output(image);
  return report_rendered(report::render_figure(image, files), out);
}

int plot_memory(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_context_option(options, "1k:1M");
  add_batch_option(options);
  add_hw_list_option(options);
  add_tp_option(options);
  add_weights_dtype_option(options);
  options.add_options()("stacked",
                        "one panel per architecture, KV cache stacked on recurrent + conv state")(
      "linear-y", "linear memory axis (the default is logarithmic, except with --stacked)")(
      "log-y", "logarithmic memory axis (the default; not with --stacked)")(
      "highlight", po::value<std::vector<std::string>>()->multitoken(),
      "draw only these architectures in colour, the rest thin and grey (default with more than "
      "8, e.g. --all: six spread from smallest to largest)");
  add_cache_dtype_options(options);
  add_units_option(options);
  add_architecture_options(options);
  add_output_option(options);
  const auto vm = parse_options("plot memory", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot memory", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options,
                 {"plot memory qwen3-next-80b-a3b gemma-3-27b llama-3-8b --context 1k:1M -o "
                  "mem.svg",
                  "plot memory qwen3-next-80b-a3b llama-3-8b --stacked --hw h100-sxm --tp 2 -o "
                  "mem.png",
                  "plot memory deepseek-v3 --kv-dtype fp8 --batch 8 --units GB -o figs/ds.pdf",
                  "plot memory --all --highlight qwen3-next-80b-a3b llama-3-8b -o all.svg"});
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  if (vm.count("stacked") && vm.count("log-y"))
    throw UserError({}, "--log-y", "a linear axis with --stacked", "--log-y",
                    "stacked areas on a log axis misstate the shares");
  if (vm.count("linear-y") && vm.count("log-y"))
    throw UserError({}, "--linear-y", "one of --linear-y and --log-y", "both");
  const auto contexts = context_option(vm);
  const auto batch = batch_option(vm);
  const CacheDTypeOverrides overrides = cache_dtype_options(vm);
  report::MemoryPlotOptions plot;
  plot.stacked = vm.count("stacked") > 0;
  plot.log_y = !plot.stacked && !vm.count("linear-y");
  plot.unit = unit_option(vm);
  if (plot.unit == ByteUnit::bytes)
    throw UserError({}, "--units", "GiB, GB, MiB or MB for a plot axis", "bytes");
  plot.title = vm.count("title") ? vm["title"].as<std::string>()
                                 : fmt::format("KV cache + state vs context, batch {}", batch);

  std::vector<MemoryReport> reports;
  std::vector<std::string> titles;
  const auto architectures = load_architectures("plot memory", vm);
  warn_beyond_max_context(vm, architectures, contexts);
  for (const auto& architecture : architectures) {
    reports.push_back(kv_memory(architecture, contexts, batch, overrides));
    titles.push_back(architecture.display_name);
  }
  // Capacity lines: what the GPUs hold once each model's weights are loaded.
  if (vm.count("hw")) {
    const auto tp = tp_option(vm);
    const auto weights_dtype = dtype_option(vm, "weights-dtype");
    const bool name_model = !plot.stacked && architectures.size() > 1;
    for (const auto& preset : vm["hw"].as<std::vector<std::string>>())
      for (std::size_t i = 0; i < architectures.size(); ++i)
        plot.own_lines.push_back(
            {i, capacity_after_weights(preset, architectures[i], tp, weights_dtype, plot.unit,
                                       name_model ? titles[i] : "")});
  }
  if (vm.count("highlight")) {
    for (const auto& name : vm["highlight"].as<std::vector<std::string>>()) {
      std::vector<std::string> known;
      for (const auto& report : reports) known.push_back(report.name);
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw UserError({}, "--highlight", "one of the architectures plotted",
                        fmt::format("'{}'", name), config::did_you_mean(name, known));
      plot.highlight.push_back(name);
    }
  } else if (plot.stacked && reports.size() > 8) {
    throw UserError({}, "--stacked", "at most 8 architectures (one panel each)",
                    fmt::format("{}", reports.size()), "drop --stacked, or name fewer models");
  } else if (reports.size() > 8) {
    plot.highlight = report::spread_highlights(reports, 6);
    diagnostics() << fmt::format(
        "attnsim: note: {} models: {} drawn in colour (smallest to largest at {}), the rest "
        "grey; choose with --highlight NAME...\n",
        reports.size(), fmt::join(plot.highlight, ", "), format_token_count(contexts.back()));
  }
  const auto files = report::memory_figure(reports, titles, plot, format,
                                           report::csv_name_for(image), image.filename().string());
  return draw(image, files, out);
}

int plot_layers(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_architecture_options(options);
  options.add_options()("output,o", po::value<std::string>(),
                        "FILE.svg, FILE.png or FILE.pdf (missing folders are created)");
  const auto vm = parse_options("plot layers", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot layers", "ARCHITECTURE... -o FILE.{svg,png,pdf}", options,
                 {"plot layers qwen3-next-80b-a3b kimi-linear-48b-a3b gemma-3-27b -o layers.pdf",
                  "plot layers --all -o figures/all-layers.svg"});
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto files = report::layers_figure(load_architectures("plot layers", vm), format,
                                           report::csv_name_for(image), image.filename().string());
  return draw(image, files, out);
}

int plot_flops(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_context_option(options, "1k:256k", "prefill lengths");
  options.add_options()("causal", po::value<std::string>()->default_value("half"),
                        "half: skip masked pairs (FlashAttention); full: count them (Kaplan)")(
      "linear", po::value<std::string>()->default_value("chunked"),
      "prefill algorithm of linear/SSM layers: chunked or recurrent")(
      "chunk", po::value<std::string>()->default_value("64"), "chunk size C");
  add_architecture_options(options);
  add_output_option(options);
  const auto vm = parse_options("plot flops", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot flops", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options,
                 {"plot flops qwen3-next-80b-a3b qwen3-8b --context 1k:256k -o flops.pdf",
                  "plot flops kimi-linear-48b-a3b --causal full --linear recurrent -o f.svg"});
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto contexts = context_option(vm);
  const FlopOptions flops =
      flop_options_from(vm["causal"].as<std::string>(), vm["linear"].as<std::string>(),
                        vm["chunk"].as<std::string>());
  const std::string title = vm.count("title") ? vm["title"].as<std::string>() : "";
  const auto architectures = load_architectures("plot flops", vm);
  warn_beyond_max_context(vm, architectures, contexts);
  const auto files =
      report::prefill_flops_figure(architectures, contexts, flops, title, format,
                                   report::csv_name_for(image), image.filename().string());
  return draw(image, files, out);
}

int plot_decode(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_hw_option(options, "h100-sxm");
  add_context_option(options, "1k:256k", "decode contexts L");
  add_batch_option(options);
  add_tp_option(options);
  options.add_options()("compute-dtype", po::value<std::string>()->default_value("bf16"),
                        "which peak of the preset the matmuls run at (bf16, fp8, ...)");
  add_weights_dtype_option(options);
  add_cache_dtype_options(options, false);
  options.add_options()("timing", po::value<std::string>()->default_value("measured"), kTimingHelp)(
      "log-y", "logarithmic time axis");
  add_architecture_options(options);
  add_output_option(options);
  const auto vm = parse_options("plot decode", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot decode", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options,
                 {"plot decode qwen3-next-80b-a3b qwen3-8b --hw h100-sxm -o decode.png",
                  "plot decode deepseek-v3 --hw h200 --tp 8 --batch 32 --kv-dtype fp8 -o d.svg"});
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto contexts = context_option(vm);
  report::DecodePlotOptions plot;
  plot.roofline.batch = batch_option(vm);
  plot.roofline.tp = tp_option(vm);
  plot.roofline.compute_dtype = vm["compute-dtype"].as<std::string>();
  plot.roofline.weights_dtype = dtype_option(vm, "weights-dtype");
  plot.roofline.cache_dtypes = cache_dtype_options(vm);
  plot.roofline.timing = timing_option(vm);
  plot.log_y = vm.count("log-y") > 0;
  if (vm.count("title")) plot.title = vm["title"].as<std::string>();
  const Hardware hardware = load_hardware(vm["hw"].as<std::string>());
  const auto architectures = load_architectures("plot decode", vm);
  warn_beyond_max_context(vm, architectures, contexts);
  // A model whose weights do not fit is still drawn (the time model does not need them to), with
  // a warning; capacity_after_weights writes it.
  for (const auto& architecture : architectures)
    capacity_after_weights(vm["hw"].as<std::string>(), architecture, plot.roofline.tp,
                           plot.roofline.weights_dtype, ByteUnit::GiB, "");
  const auto files =
      report::decode_time_figure(architectures, contexts, hardware, plot, format,
                                 report::csv_name_for(image), image.filename().string());
  return draw(image, files, out);
}

struct PlotKind {
  std::string_view name;
  std::string_view summary;
  int (*run)(const CommandArgs&, std::ostream&);
};
constexpr PlotKind kPlotKinds[] = {
    {"memory", "KV cache + state vs context (log context axis), optional capacity lines",
     &plot_memory},
    {"layers", "one strip per model: every layer coloured by mixer kind, with its ratio",
     &plot_layers},
    {"flops", "prefill FLOPs of one sequence vs context (log-log), causal convention stated",
     &plot_flops},
    {"decode",
     "decode time per token vs context on a hardware preset (measured time model or roofline)",
     &plot_decode},
};
}  // namespace

int run_plot(const CommandArgs& args, std::ostream& out) {
  std::string listing =
      "Usage: attnsim plot <figure> ARCHITECTURE... -o FILE.{svg,png,pdf}\n\n"
      "Figures (attnsim plot <figure> --help for options):\n";
  for (const auto& kind : kPlotKinds)
    listing += fmt::format("  {:<8} {}\n", kind.name, kind.summary);
  listing +=
      "\nBeside FILE it writes FILE.csv (the data) and FILE.gp (the gnuplot script), named after "
      "the\n"
      "whole file name: mem.svg → mem.svg.csv, mem.svg.gp.\n\n"
      "Examples:\n"
      "  attnsim plot memory qwen3-next-80b-a3b llama-3-8b --context 1k:1M -o mem.svg\n"
      "  attnsim plot layers qwen3-next-80b-a3b gemma-3-27b -o layers.pdf\n"
      "  attnsim plot decode qwen3-next-80b-a3b qwen3-8b --hw h100-sxm -o decode.png\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << listing;
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> names;
  for (const auto& kind : kPlotKinds) {
    if (kind.name == args[0]) return kind.run(CommandArgs(args.begin() + 1, args.end()), out);
    names.emplace_back(kind.name);
  }
  throw UserError({}, "plot", "a figure kind (memory, layers, flops, decode)",
                  fmt::format("'{}'", args[0]), config::did_you_mean(args[0], names));
}

}  // namespace attnsim::cli
