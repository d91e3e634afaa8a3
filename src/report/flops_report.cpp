// FLOP tables in TFLOP (10^12) with the conventions written above each table.
#include "report/flops_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
std::string tflop(double flops) { return fmt::format("{:.4g}", flops / 1e12); }

TableFormat table_format(OutputFormat format) {
  return format == OutputFormat::markdown ? TableFormat::markdown
         : format == OutputFormat::csv    ? TableFormat::csv
                                          : TableFormat::text;
}

nlohmann::ordered_json to_json(const FlopReportEntry& entry) {
  const FlopReport& report = entry.report;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : report.rows)
    rows.push_back({{"group", row.group},
                    {"operation", row.operation},
                    {"prefill_flops", row.prefill},
                    {"decode_flops", row.decode}});
  nlohmann::ordered_json out = {
      {"name", report.name},
      {"prefill_tokens", report.prefill_tokens},
      {"decode_context", report.decode_context},
      {"causal", report.options.causal == CausalConvention::half ? "half" : "full"},
      {"linear_algorithm", describe(report.options.linear)},
      {"chunk", report.options.chunk},
      {"prefill_flops", report.prefill_total},
      {"decode_flops", report.decode_total}};
  if (entry.other_algorithm)
    out[fmt::format("prefill_flops_{}", describe(entry.other_algorithm->options.linear))] =
        entry.other_algorithm->prefill_total;
  out["rows"] = rows;
  return out;
}
}  // namespace

std::string render_flops(const std::vector<FlopReportEntry>& entries, OutputFormat format) {
  if (format == OutputFormat::json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& entry : entries) out.push_back(to_json(entry));
    return dump_json(json_document("flops", std::move(out)));
  }
  std::string out;
  for (const auto& entry : entries) {
    const FlopReport& report = entry.report;
    if (format == OutputFormat::text) {
      out += fmt::format("{}: prefill T={} (one sequence), decode one token at L={}\n", report.name,
                         format_token_count(report.prefill_tokens),
                         format_token_count(report.decode_context));
      out += fmt::format("  {}\n", describe(report.options.causal));
      out += fmt::format(
          "  linear/SSM prefill: {} (C={}); decode is one recurrent step. MLA prefill naive, "
          "decode absorbed; DSA: indexer over all keys + attention over top-k\n",
          describe(report.options.linear), report.options.chunk);
      out +=
          "  1 multiply-add = 2 FLOPs; lm head over all T prefill positions; elementwise "
          "ops not counted\n";
      out += fmt::format("  total: prefill {} TFLOP, decode {} TFLOP", tflop(report.prefill_total),
                         tflop(report.decode_total));
      if (entry.other_algorithm)
        out += fmt::format(" (prefill with {} linear layers: {} TFLOP)",
                           describe(entry.other_algorithm->options.linear),
                           tflop(entry.other_algorithm->prefill_total));
      out += "\n";
    }
    Table table;
    table.columns = {{"group", Align::left},
                     {"operation", Align::left},
                     {"prefill (TFLOP)"},
                     {"decode (TFLOP)"}};
    for (const auto& row : report.rows)
      table.add_row({row.group, row.operation, tflop(row.prefill), tflop(row.decode)});
    table.add_row({"all", "", tflop(report.prefill_total), tflop(report.decode_total)});
    out += table.render(table_format(format));
    if (format != OutputFormat::csv) out += "\n";
  }
  return out;
}

}  // namespace attnsim::report
