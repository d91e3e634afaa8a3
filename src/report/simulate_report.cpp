// Text rendering of `attnsim simulate`.
#include "report/simulate_report.h"

#include <fmt/format.h>

#include "report/table.h"

namespace attnsim::report {

namespace {
std::string status(const sim::SimRow& row) {
  if (!row.executed) return "not executed";
  return row.ok() ? "ok" : "MISMATCH";
}
}  // namespace

std::string format_simulation(const sim::SimulationReport& report) {
  const auto& options = report.options;
  std::string out = fmt::format(
      "{} scaled down ({}): prefill T={}, {} decode steps, chunk C={}, seed {}\n", report.name,
      report.scaled, options.tokens, options.decode_steps, options.chunk, options.seed);
  for (const std::string& instance : report.instances) {
    out += "  ";
    out += instance;
    out += "\n";
  }
  out += "\n";
  Table table;
  table.columns = {{"layer kind", Align::left},
                   {"layers"},
                   {"quantity", Align::left},
                   {"measured"},
                   {"predicted"},
                   {"status", Align::left}};
  for (const sim::SimRow& row : report.rows)
    table.add_row({row.layer_kind, std::to_string(row.n_layers), row.quantity,
                   row.executed ? fmt::format("{:.0f}", row.measured) : "-",
                   fmt::format("{:.0f}", row.predicted), status(row)});
  out += table.render(TableFormat::text);
  out +=
      "\nBytes: kept by the kernels after the last step, in the file's dtypes, vs kv_memory at "
      "context T+D. FLOPs: 2 per measured multiply-add vs model_flops (decode summed over the "
      "steps). Not executed: ";
  for (std::size_t i = 0; i < report.skipped.size(); ++i) {
    if (i > 0) out += ", ";
    out += report.skipped[i];
  }
  out += " (projection matmuls); FFNs.\n";
  out += report.all_ok() ? "all executed rows agree\n" : "MISMATCH: see the rows above\n";
  return out;
}

}  // namespace attnsim::report
