// `attnsim compare`: architectures side by side (layer ratio, KV and state, parameters).
#include "report/compare.h"

#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "graph/load.h"

namespace attnsim::cli {

int run_compare(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/")(
      "context,c", po::value<std::string>()->default_value("128k,1M"),
      "contexts for the KV + state columns (list, or a range lo:hi of powers of two)")(
      "units,u", po::value<std::string>()->default_value("GiB"), "GiB (2^30 bytes), GB, MiB, MB")(
      "format,f", po::value<std::string>()->default_value("text"), "text, markdown, csv or json");
  const auto vm = parse_options("compare", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("compare", "ARCHITECTURE... [--all] [options]", options);
    return 0;
  }
  const std::vector<std::string> names = architecture_names("compare", vm);
  const auto contexts = parse_context_spec(vm["context"].as<std::string>());
  const auto unit = unit_option(vm, "units");
  const auto format = format_option(vm, "format");

  std::vector<ComparisonRow> rows;
  for (const auto& name : names)
    rows.push_back(compare_architecture(load_architecture(name), contexts));
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
