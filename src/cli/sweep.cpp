// `attnsim sweep`: architectures derived from a base by knobs (graph/sweep.h), compared in a
// table at chosen contexts, optionally plotted (memory vs context).
#include "graph/sweep.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "config/settings.h"
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
      "kv_heads, latent_rank, state_size");
  add_context_option(options, "128k,1M");
  add_batch_option(options);
  add_units_option(options);
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  options.add_options()("output,o", po::value<std::string>(),
                        "also plot memory vs context of every variant to FILE.svg|png|pdf");
  const auto vm = parse_options("sweep", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("sweep", "BASE --vary KNOB=v1,v2,... [--context ...] [-o FILE]", options,
                 {"sweep qwen3-next-80b-a3b --vary linear_ratio=1:1,3:1,7:1,all -o sweep.svg",
                  "sweep llama-3-8b --vary kv_heads=1,2,4,8 --context 8k,128k --format markdown",
                  "sweep gemma-3-27b --vary window=512,1k,4k --vary linear_ratio=3:1,5:1"});
    return 0;
  }
  const std::string base_name = single_architecture_name("sweep", vm);
  if (!vm.count("vary"))
    throw UserError({}, "--vary", "at least one KNOB=v1,v2,...", "none",
                    "e.g. --vary linear_ratio=1:1,3:1,7:1,all");
  std::vector<std::pair<std::string, std::vector<std::string>>> knobs;
  for (const auto& text : vm["vary"].as<std::vector<std::string>>())
    knobs.push_back(parse_vary(text));
  const auto contexts = context_option(vm);
  const auto batch = batch_option(vm);
  const auto format = format_option(vm, kAllFormats);
  const auto unit = unit_option(vm, format);

  const auto file = resolve_architecture(base_name);
  config::Node base_document = load_resolved_document(file);
  if (vm.count("set"))
    base_document = config::apply_settings(base_document, vm["set"].as<std::vector<std::string>>());
  const Architecture base = load_with_settings(vm, base_name);
  std::vector<Architecture> variants{base};
  for (const auto& settings : knob_grid(knobs))
    variants.push_back(derive_architecture(base_document, base, settings));

  warn_beyond_max_context(vm, {base}, contexts);
  std::vector<ComparisonRow> rows;
  for (const auto& variant : variants)
    rows.push_back(compare_architecture(variant, contexts, batch));
  if (format == report::OutputFormat::json)
    out << report::comparison_json(rows, "sweep");
  else
    out << report::comparison_table(rows, unit)
               .render(format == report::OutputFormat::markdown ? report::TableFormat::markdown
                       : format == report::OutputFormat::csv    ? report::TableFormat::csv
                                                                : report::TableFormat::text);
  if (!vm.count("output")) return 0;
  const std::filesystem::path image = vm["output"].as<std::string>();
  std::vector<MemoryReport> reports;
  for (const auto& variant : variants) reports.push_back(kv_memory(variant, contexts, batch));
  // The model is named once, in the title; the key names the knobs (report::sweep_titles).
  const auto titles = report::sweep_titles(variants);
  report::MemoryPlotOptions plot;
  plot.unit = unit;
  plot.title = fmt::format("{}: design sweep, batch {}", base.display_name, batch);
  const auto image_format = report::image_format_for(image, "-o");
  prepare_output(image);
  const auto files = report::memory_figure(reports, titles, plot, image_format,
                                           report::csv_name_for(image), image.filename().string());
  return report_rendered(report::render_figure(image, files), out);
}

}  // namespace attnsim::cli
