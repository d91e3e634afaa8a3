// `attnsim plot memory|layers|flops|decode`: figures drawn with gnuplot, each written beside its
// CSV data and the gnuplot script that drew it.
#include "report/plot.h"

#include <fmt/format.h>

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
std::vector<std::string> architecture_names(const po::variables_map& vm) {
  const std::vector<std::string> names = cli::architecture_names("plot", vm);
  return names;
}

std::filesystem::path output_option(const po::variables_map& vm) {
  if (!vm.count("output"))
    throw UserError({}, "-o", "an output file (.svg, .png or .pdf)", "none", "e.g. -o mem.svg");
  return vm["output"].as<std::string>();
}

std::vector<Architecture> load_architectures(const po::variables_map& vm) {
  std::vector<Architecture> architectures;
  for (const auto& name : architecture_names(vm)) architectures.push_back(load_architecture(name));
  return architectures;
}

int plot_memory(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "context,c", po::value<std::string>()->default_value("1k:1M"),
      "contexts: a range lo:hi (every power of two between, inclusive) or a comma list")(
      "batch,b", po::value<std::string>()->default_value("1"), "sequences in the batch")(
      "hw", po::value<std::vector<std::string>>(),
      "draw the memory capacity of configs/hardware/<PRESET>.yaml (repeatable)")(
      "stacked", "one panel per architecture, KV cache stacked on recurrent + conv state")(
      "log-y", "logarithmic memory axis (not with --stacked)")("kv-dtype", po::value<std::string>(),
                                                               "override the KV-cache dtype")(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype")(
      "conv-dtype", po::value<std::string>(), "override the conv-state dtype")(
      "units,u", po::value<std::string>()->default_value("GiB"), "GiB (2^30 bytes), GB, MiB, MB")(
      "title", po::value<std::string>(), "figure title")("output,o", po::value<std::string>(),
                                                         "FILE.svg, FILE.png or FILE.pdf");
  const auto vm = parse_options("plot memory", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot memory", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options);
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  if (vm.count("stacked") && vm.count("log-y"))
    throw UserError({}, "--log-y", "a linear axis with --stacked", "--log-y",
                    "stacked areas on a log axis misstate the shares");
  const auto contexts = parse_context_spec(vm["context"].as<std::string>());
  const auto batch = parse_token_count(vm["batch"].as<std::string>(), "--batch");
  const CacheDTypeOverrides overrides{dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
                                      dtype_option(vm, "conv-dtype")};
  report::MemoryPlotOptions plot;
  plot.stacked = vm.count("stacked") > 0;
  plot.log_y = vm.count("log-y") > 0;
  plot.unit = unit_option(vm, "units");
  if (plot.unit == ByteUnit::bytes)
    throw UserError({}, "--units", "GiB, GB, MiB or MB for a plot axis", "bytes");
  plot.title = vm.count("title") ? vm["title"].as<std::string>()
                                 : fmt::format("KV cache + state vs context, batch {}", batch);
  if (vm.count("hw"))
    for (const auto& preset : vm["hw"].as<std::vector<std::string>>())
      plot.capacities.push_back(hardware_capacity_line(preset, plot.unit));

  std::vector<MemoryReport> reports;
  std::vector<std::string> titles;
  for (const auto& name : architecture_names(vm)) {
    const Architecture architecture = load_architecture(name);
    reports.push_back(kv_memory(architecture, contexts, batch, overrides));
    titles.push_back(architecture.display_name);
  }
  const auto files = report::memory_figure(reports, titles, plot, format,
                                           report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
}

int plot_layers(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "output,o", po::value<std::string>(), "FILE.svg, FILE.png or FILE.pdf");
  const auto vm = parse_options("plot layers", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot layers", "ARCHITECTURE... -o FILE.{svg,png,pdf}", options);
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto files = report::layers_figure(load_architectures(vm), format,
                                           report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
}

int plot_flops(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "context,c", po::value<std::string>()->default_value("1k:256k"),
      "prefill lengths: a range lo:hi (every power of two between, inclusive) or a comma list")(
      "causal", po::value<std::string>()->default_value("half"),
      "half: skip masked pairs (FlashAttention); full: count them (Kaplan)")(
      "linear", po::value<std::string>()->default_value("chunked"),
      "prefill algorithm of linear/SSM layers: chunked or recurrent")(
      "chunk", po::value<std::string>()->default_value("64"), "chunk size C")(
      "title", po::value<std::string>(), "figure title")("output,o", po::value<std::string>(),
                                                         "FILE.svg, FILE.png or FILE.pdf");
  const auto vm = parse_options("plot flops", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot flops", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options);
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto contexts = parse_context_spec(vm["context"].as<std::string>());
  const FlopOptions flops =
      flop_options_from(vm["causal"].as<std::string>(), vm["linear"].as<std::string>(),
                        vm["chunk"].as<std::string>());
  const std::string title = vm.count("title") ? vm["title"].as<std::string>() : "";
  const auto files =
      report::prefill_flops_figure(load_architectures(vm), contexts, flops, title, format,
                                   report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
}

int plot_decode(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "hw", po::value<std::string>()->default_value("h100-sxm"),
      "hardware preset (configs/hardware/) or YAML file")(
      "context,c", po::value<std::string>()->default_value("1k:256k"),
      "decode contexts L: a range lo:hi (powers of two) or a comma list")(
      "batch,b", po::value<std::string>()->default_value("1"), "sequences decoded together")(
      "tp", po::value<std::string>()->default_value("1"), "tensor-parallel ranks")(
      "compute-dtype", po::value<std::string>()->default_value("bf16"),
      "which peak of the preset the matmuls run at (bf16, fp8, ...)")(
      "weights-dtype", po::value<std::string>(), "override the weights dtype")(
      "kv-dtype", po::value<std::string>(), "override the KV-cache dtype")(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype")(
      "timing", po::value<std::string>()->default_value("measured"), kTimingHelp)(
      "log-y", "logarithmic time axis")("title", po::value<std::string>(), "figure title")(
      "output,o", po::value<std::string>(), "FILE.svg, FILE.png or FILE.pdf");
  const auto vm = parse_options("plot decode", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("plot decode", "ARCHITECTURE... -o FILE.{svg,png,pdf} [options]", options);
    return 0;
  }
  const auto image = output_option(vm);
  const auto format = report::image_format_for(image, "-o");
  const auto contexts = parse_context_spec(vm["context"].as<std::string>());
  report::DecodePlotOptions plot;
  plot.roofline.batch = parse_token_count(vm["batch"].as<std::string>(), "--batch");
  plot.roofline.tp = parse_token_count(vm["tp"].as<std::string>(), "--tp");
  plot.roofline.compute_dtype = vm["compute-dtype"].as<std::string>();
  plot.roofline.weights_dtype = dtype_option(vm, "weights-dtype");
  plot.roofline.cache_dtypes = {dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
                                std::nullopt};
  plot.roofline.timing = timing_option(vm);
  plot.log_y = vm.count("log-y") > 0;
  if (vm.count("title")) plot.title = vm["title"].as<std::string>();
  const Hardware hardware = load_hardware(vm["hw"].as<std::string>());
  const auto files =
      report::decode_time_figure(load_architectures(vm), contexts, hardware, plot, format,
                                 report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
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
  listing += "\nBeside FILE it writes FILE.csv (the data) and FILE.gp (the gnuplot script).\n";
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
