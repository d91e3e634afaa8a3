// Parameter tables: one row per component, total and active, in billions and exact counts.
#include "report/params_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
std::string billions(std::uint64_t count) {
  return fmt::format("{:.3f}", static_cast<double>(count) / 1e9);
}

TableFormat table_format(OutputFormat format) {
  return format == OutputFormat::markdown ? TableFormat::markdown
         : format == OutputFormat::csv    ? TableFormat::csv
                                          : TableFormat::text;
}

nlohmann::ordered_json json_rows(const std::vector<ParamRow>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : rows)
    out.push_back({{"group", row.group},
                   {"component", row.component},
                   {"total", row.total},
                   {"active", row.active}});
  return out;
}

nlohmann::ordered_json unknown_json(const std::vector<UnknownParams>& parts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& part : parts) out.push_back({{"part", part.part}, {"reason", part.reason}});
  return out;
}

std::string render_json(const std::vector<ParamReport>& reports) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& report : reports)
    out.push_back({{"name", report.name},
                   {"params_total", report.total},
                   {"params_active", report.active},
                   {"params_active_with_embeddings", report.active_with_embeddings},
                   {"params_mtp", report.mtp_total},
                   // true: total and active leave out the parts under unknown_params
                   {"params_lower_bound", report.lower_bound()},
                   {"unknown_params", unknown_json(report.unknown)},
                   {"weights_dtype", dtype_name(report.weights_dtype)},
                   {"unverified", report.unverified},
                   {"rows", json_rows(report.rows)},
                   {"mtp_rows", json_rows(report.mtp_rows)},
                   {"params_stored_extras", report.stored_total},
                   {"stored_rows", json_rows(report.stored_rows)}});
  return dump_json(json_document("params", std::move(out)));
}
// What active_with_embeddings adds to active (cost/params.cpp): the input embedding table, and
// the learned position embeddings and Gemma 3n's per-layer embedding table where a model has them.
std::string lookups_added_back(const ParamReport& report) {
  std::vector<std::string> parts{"the input embedding table"};
  for (const ParamRow& row : report.rows) {
    if (row.component == "position embeddings") parts.push_back("the position embeddings");
    if (row.component == kPerLayerEmbeddingTable) parts.push_back("the per-layer embedding table");
  }
  std::string out = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i)
    out += (i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return out;
}
}  // namespace

std::string render_params(const std::vector<ParamReport>& reports, OutputFormat format) {
  if (format == OutputFormat::json) return render_json(reports);
  std::string out;
  for (const auto& report : reports) {
    if (format == OutputFormat::text) {
      const std::string at_least = report.lower_bound() ? "≥ " : "";
      out += fmt::format("{}: {}{} B total, {}{} B active ({}{} B with {}); weights {}\n",
                         report.name, at_least, billions(report.total), at_least,
                         billions(report.active), at_least, billions(report.active_with_embeddings),
                         lookups_added_back(report), dtype_name(report.weights_dtype));
      for (const auto& part : report.unknown)
        out += fmt::format("lower bound: not counted: {} ({})\n", part.part, part.reason);
      if (!report.unverified.empty()) {
        out += "caution: the file marks these values unverified or placeholders:";
        for (const auto& key : report.unverified) {
          out += " ";
          out += key;
        }
        out += "\n";
      }
      out +=
          "active = what one token multiplies with: no input embedding table (a lookup), "
          "top-k routed + shared experts + router, lm head included\n";
      if (report.mtp_total > 0)
        out += fmt::format(
            "MTP modules: {} B more, not in the total (only speculative decoding runs them; "
            "they share the embedding table and lm head); {} B with them\n",
            billions(report.mtp_total),
            billions(checked_add(report.total, report.mtp_total, "parameter count")));
      if (report.stored_total > 0)
        out += fmt::format(
            "checkpoint extras: {} more stored values that are buffers, not parameters, in "
            "transformers (router score-correction biases); not in the total\n",
            with_thousands(report.stored_total));
    }
    Table table;
    table.columns = {{"group", Align::left},
                     {"component", Align::left},
                     {"total (B)"},
                     {"active (B)"},
                     {"total"},
                     {"active"}};
    auto add = [&table](const ParamRow& row) {
      table.add_row({row.group, row.component, billions(row.total), billions(row.active),
                     with_thousands(row.total), with_thousands(row.active)});
    };
    for (const auto& row : report.rows) add(row);
    if (report.lower_bound())
      table.add_row({"all", "≥ (parts unknown)", "≥" + billions(report.total),
                     "≥" + billions(report.active), "≥" + with_thousands(report.total),
                     "≥" + with_thousands(report.active)});
    else
      add({"all", "", report.total, report.active});
    for (const auto& row : report.mtp_rows) add(row);
    out += table.render(table_format(format));
    if (format != OutputFormat::csv) out += "\n";
  }
  return out;
}

}  // namespace attnsim::report
