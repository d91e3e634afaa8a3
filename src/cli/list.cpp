// `attnsim list`: every shipped architecture with its family, size label, layer mix, KV bytes
// per token and a flag for values its file marks unverified.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "report/layers_report.h"

namespace attnsim::cli {

int run_list(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  const std::vector<report::OutputFormat> formats{
      report::OutputFormat::text, report::OutputFormat::markdown, report::OutputFormat::csv};
  add_format_option(options, formats);
  const auto vm = parse_options("list", args, options);
  if (vm.count("help")) {
    out << usage("list", "[options]", options,
                 {"list", "list --format markdown",
                  "list --format csv   (for JSON numbers: attnsim kv --all --format json)"});
    return 0;
  }
  const auto format = format_option(vm, formats);
  report::Table table{{{"name", report::Align::left},
                       {"family", report::Align::left},
                       {"params", report::Align::left},
                       {"layers"},
                       {"layer mix", report::Align::left},
                       {"KV bytes/token"},
                       {"state bytes/seq"},
                       {"unverified", report::Align::left}},
                      {}};
  std::vector<std::string> unverified_notes;
  for (const auto& file : list_architecture_files()) {
    const Architecture architecture = load_architecture_file(file);
    const MemoryReport memory = kv_memory(architecture, {1}, 1);
    const auto& unverified = architecture.source.unverified;
    table.add_row({architecture.name, architecture.family, architecture.params_label,
                   std::to_string(architecture.layers.size()),
                   report::format_layer_mix(memory.layers),
                   report::with_thousands(memory.kv_bytes_per_token),
                   report::with_thousands(memory.state_bytes_per_sequence),
                   unverified.empty() ? "" : fmt::format("! {}", unverified.size())});
    if (!unverified.empty())
      unverified_notes.push_back(
          fmt::format("  {}: {}", architecture.name, fmt::join(unverified, ", ")));
  }
  const auto table_format = format == report::OutputFormat::csv ? report::TableFormat::csv
                            : format == report::OutputFormat::markdown
                                ? report::TableFormat::markdown
                                : report::TableFormat::text;
  out << table.render(table_format);
  if (!unverified_notes.empty() && format != report::OutputFormat::csv)
    out << "\n! values the file marks unverified (no config or paper confirmed them):\n"
        << fmt::format("{}\n", fmt::join(unverified_notes, "\n"));
  return 0;
}

}  // namespace attnsim::cli
