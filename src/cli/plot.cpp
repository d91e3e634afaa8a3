// `attnsim plot memory|layers`: figures drawn with gnuplot, each written beside its CSV data and
// the gnuplot script that drew it.
#include "report/plot.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "config/reader.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "report/plot_render.h"

namespace attnsim::cli {

namespace {
std::vector<std::string> architecture_names(const po::variables_map& vm) {
  std::vector<std::string> names;
  if (vm.count("architecture")) names = vm["architecture"].as<std::vector<std::string>>();
  if (vm.count("all"))
    for (const auto& file : list_architecture_files()) names.push_back(file.string());
  if (names.empty())
    throw UserError({}, "plot", "at least one architecture name or --all", "none",
                    "`attnsim list` shows the shipped names");
  return names;
}

std::filesystem::path output_option(const po::variables_map& vm) {
  if (!vm.count("output"))
    throw UserError({}, "-o", "an output file (.svg, .png or .pdf)", "none", "e.g. -o mem.svg");
  return vm["output"].as<std::string>();
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
  std::vector<Architecture> architectures;
  for (const auto& name : architecture_names(vm)) architectures.push_back(load_architecture(name));
  const auto files = report::layers_figure(architectures, format, report::csv_name_for(image),
                                           image.filename().string());
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
  throw UserError({}, "plot", "a figure kind (memory, layers)", fmt::format("'{}'", args[0]),
                  config::did_you_mean(args[0], names));
}

}  // namespace attnsim::cli
