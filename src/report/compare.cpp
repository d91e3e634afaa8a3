// Comparison rows (cost/comparison.h) rendered as a table and as JSON.
#include "report/compare.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"

namespace attnsim::report {

std::string format_params(std::uint64_t params) {
  const double value = static_cast<double>(params);
  if (value >= 1e12) return fmt::format("{:.2f}T", value / 1e12);
  if (value >= 1e9) return fmt::format("{:.1f}B", value / 1e9);
  return fmt::format("{:.0f}M", value / 1e6);
}

Table comparison_table(const std::vector<ComparisonRow>& rows, ByteUnit unit) {
  const std::string u(byte_unit_name(unit));
  Table table{{{"architecture", Align::left},
               {"layer ratio", Align::left},
               {"layers"},
               {"global attn"},
               {"params"},
               {"active"},
               {"KV bytes/token"},
               {"state bytes/seq"}},
              {}};
  if (rows.empty()) return table;
  for (const auto& row : rows.front().memory.rows) {
    const std::string batch = row.batch == 1 ? "" : fmt::format(" ×{}", row.batch);
    table.columns.push_back(
        {fmt::format("KV+state@{}{} {}", format_token_count(row.context), batch, u)});
    table.columns.push_back({fmt::format("saving@{}", format_token_count(row.context))});
  }
  for (const auto& row : rows) {
    std::vector<std::string> cells{
        row.name,
        row.ratio,
        row.layer_counts,
        format_percent(row.global_share),
        (row.params_lower_bound ? "≥" : "") + format_params(row.params_total),
        (row.params_lower_bound ? "≥" : "") + format_params(row.params_active),
        with_thousands(row.memory.kv_bytes_per_token),
        with_thousands(row.memory.state_bytes_per_sequence)};
    for (const auto& memory : row.memory.rows) {
      // * marks a context past the model's max_context (an extrapolation).
      const bool beyond = row.memory.max_context && memory.context > *row.memory.max_context;
      cells.push_back(format_size(memory.total_bytes, unit) + (beyond ? "*" : ""));
      cells.push_back(format_percent(memory.saving_vs_full_attention()));
    }
    table.add_row(std::move(cells));
  }
  return table;
}

std::string comparison_json(const std::vector<ComparisonRow>& rows, std::string_view command) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& row : rows) {
    nlohmann::ordered_json contexts = nlohmann::ordered_json::array();
    for (const auto& memory : row.memory.rows) {
      nlohmann::ordered_json entry{
          {"context", memory.context},
          {"beyond_max_context",
           row.memory.max_context && memory.context > *row.memory.max_context},
          {"batch", memory.batch},
          {"kv_bytes", memory.kv_bytes},
          {"state_bytes", memory.state_bytes},
          {"total_bytes", memory.total_bytes}};
      const auto saving = memory.saving_vs_full_attention();
      entry["saving_vs_full_attention"] =
          saving ? nlohmann::ordered_json(*saving) : nlohmann::ordered_json(nullptr);
      contexts.push_back(entry);
    }
    list.push_back({{"architecture", row.name},
                    {"display_name", row.display_name},
                    {"layer_ratio", row.ratio},
                    {"layer_counts", row.layer_counts},
                    {"global_attention_share", row.global_share},
                    {"params_total", row.params_total},
                    {"params_active", row.params_active},
                    {"params_lower_bound", row.params_lower_bound},
                    {"kv_bytes_per_token", row.memory.kv_bytes_per_token},
                    {"state_bytes_per_sequence", row.memory.state_bytes_per_sequence},
                    {"contexts", contexts}});
  }
  return dump_json(json_document(command, std::move(list)));
}

}  // namespace attnsim::report
