// `attnsim compare`: architectures side by side (layer ratio, KV and state, parameters).
#include "report/compare.h"

#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "graph/load.h"

namespace attnsim::cli {

int run_compare(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  add_context_option(options, "128k,1M", "contexts of the KV + state columns");
  add_batch_option(options);
  add_units_option(options);
  add_format_option(options, kAllFormats);
  add_architecture_options(options);
  const auto vm = parse_options("compare", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("compare", "ARCHITECTURE... [--all] [options]", options,
                 {"compare qwen3-next-80b-a3b kimi-linear-48b-a3b nemotron-3-nano-30b-a3b",
                  "compare --all --context 128k --format markdown",
                  "compare gemma-3-27b llama-3.1-70b --context 4k:1M --batch 16 --format json"});
    return 0;
  }
  const auto contexts = context_option(vm);
  const auto batch = batch_option(vm);
  const auto format = format_option(vm, kAllFormats);
  const auto unit = unit_option(vm, format);

  std::vector<ComparisonRow> rows;
  const auto architectures = load_architectures("compare", vm);
  warn_beyond_max_context(vm, architectures, contexts);
  for (const auto& architecture : architectures)
    rows.push_back(compare_architecture(architecture, contexts, batch));
  switch (format) {
    case report::OutputFormat::json:
      out << report::comparison_json(rows);
      break;
    case report::OutputFormat::markdown:
      out << report::comparison_table(rows, unit).render(report::TableFormat::markdown);
      break;
    case report::OutputFormat::csv:
      out << report::comparison_table(rows, unit).render(report::TableFormat::csv);
      break;
    case report::OutputFormat::text:
      out << report::comparison_table(rows, unit).render(report::TableFormat::text);
      break;
  }
  return 0;
}

}  // namespace attnsim::cli
