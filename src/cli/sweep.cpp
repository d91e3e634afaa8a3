// `attnsim sweep`: architectures derived from a base by knobs (graph/sweep.h), compared in a
// table at chosen contexts, optionally plotted (memory vs context).
#include "graph/sweep.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "graph/load.h"
#include "report/compare.h"
#include "report/plot.h"
#include "report/plot_render.h"

namespace attnsim::cli {

int run_sweep(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "vary", po::value<std::vector<std::string>>(),
      "KNOB=v1,v2,... (repeatable; every combination): linear_ratio (N:1, all, none), window, "
      "kv_heads, latent_rank, state_size")("context,c",
                                           po::value<std::string>()->default_value("128k,1M"),
                                           "contexts (list, or a range lo:hi of powers of two)")(
      "units,u", po::value<std::string>()->default_value("GiB"), "GiB (2^30 bytes), GB, MiB, MB")(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown, csv or json")(
      "output,o", po::value<std::string>(),
      "also plot memory vs context of every variant to FILE.svg|png|pdf");
  const auto vm = parse_options("sweep", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("sweep", "BASE --vary KNOB=v1,v2,... [--context ...] [-o FILE]", options);
    return 0;
  }
  if (!vm.count("architecture") || vm["architecture"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, "sweep", "exactly one base architecture", "none or several");
  if (!vm.count("vary"))
    throw UserError({}, "--vary", "at least one KNOB=v1,v2,...", "none",
                    "e.g. --vary linear_ratio=1:1,3:1,7:1,all");
  std::vector<std::pair<std::string, std::vector<std::string>>> knobs;
  for (const auto& text : vm["vary"].as<std::vector<std::string>>())
    knobs.push_back(parse_vary(text));
  const auto contexts = parse_context_spec(vm["context"].as<std::string>());
  const auto unit = unit_option(vm, "units");
  const auto format = format_option(vm, "format");

  const auto file = resolve_architecture(vm["architecture"].as<std::vector<std::string>>()[0]);
  const config::Node base_document = load_resolved_document(file);
  const Architecture base = load_architecture_file(file);
  std::vector<Architecture> variants{base};
  for (const auto& settings : knob_grid(knobs))
    variants.push_back(derive_architecture(base_document, base, settings));

  std::vector<ComparisonRow> rows;
  for (const auto& variant : variants) rows.push_back(compare_architecture(variant, contexts));
  if (format == report::OutputFormat::json)
    out << report::comparison_json(rows);
  else
    out << report::comparison_table(rows, unit)
               .render(format == report::OutputFormat::markdown ? report::TableFormat::markdown
                       : format == report::OutputFormat::csv    ? report::TableFormat::csv
                                                                : report::TableFormat::text);
  if (!vm.count("output")) return 0;
  const std::filesystem::path image = vm["output"].as<std::string>();
  std::vector<MemoryReport> reports;
  std::vector<std::string> titles;
  for (const auto& variant : variants) {
    reports.push_back(kv_memory(variant, contexts, 1));
    titles.push_back(variant.display_name);
  }
  report::MemoryPlotOptions plot;
  plot.unit = unit;
  plot.title = fmt::format("{}: design sweep, batch 1", base.display_name);
  const auto files =
      report::memory_figure(reports, titles, plot, report::image_format_for(image, "-o"),
                            report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
}

}  // namespace attnsim::cli
