// KV report rendering: a totals table, a per-layer-kind breakdown, and the JSON contract.
#include "report/kv_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
std::string dtype_or_dash(const std::optional<DType>& dtype) {
  return dtype ? std::string(dtype_name(*dtype)) : "-";
}

Table totals_table(const std::vector<MemoryReport>& reports, ByteUnit unit) {
  const std::string u = std::string(byte_unit_name(unit));
  Table table{{{"architecture", Align::left},
               {"context"},
               {"batch"},
               {"KV cache " + u},
               {"state " + u},
               {"total " + u},
               {"vs full attn"},
               {"KV bytes/token"},
               {"state bytes/seq"},
               {"kv dtype", Align::left},
               {"state dtype", Align::left}},
              {}};
  for (const auto& report : reports)
    for (const auto& row : report.rows)
      table.add_row(
          {report.name, format_token_count(row.context), std::to_string(row.batch),
           format_size(row.kv_bytes, unit), format_size(row.state_bytes, unit),
           format_size(row.total_bytes, unit), format_percent(row.saving_vs_full_attention()),
           with_thousands(report.kv_bytes_per_token),
           with_thousands(report.state_bytes_per_sequence), dtype_or_dash(report.dtypes.kv_cache),
           dtype_or_dash(report.dtypes.recurrent_state) + "/" +
               dtype_or_dash(report.dtypes.conv_state)});
  return table;
}

// One line per architecture × layer kind, with the KV cache at each context as columns.
Table kinds_table(const std::vector<MemoryReport>& reports, ByteUnit unit) {
  const std::string u = std::string(byte_unit_name(unit));
  Table table{{{"architecture", Align::left},
               {"layer kind", Align::left},
               {"layers"},
               {"KV bytes/token"},
               {"state bytes/seq"},
               {"state " + u}},
              {}};
  if (reports.empty() || reports.front().rows.empty()) return table;
  for (const auto& row : reports.front().rows)
    table.columns.push_back({fmt::format("KV@{} {}", format_token_count(row.context), u)});
  for (const auto& report : reports) {
    const auto& kinds = report.rows.front().by_kind;
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      std::vector<std::string> cells{report.name,
                                     kinds[k].layer_kind,
                                     std::to_string(kinds[k].n_layers),
                                     with_thousands(kinds[k].kv_bytes_per_token),
                                     with_thousands(kinds[k].state_bytes_per_sequence),
                                     format_size(kinds[k].state_bytes, unit)};
      for (const auto& row : report.rows)
        cells.push_back(format_size(row.by_kind[k].kv_bytes, unit));
      table.add_row(std::move(cells));
    }
  }
  return table;
}

// Machine-readable long form: exact bytes, one line per architecture × context × kind
// (kind "total" for the whole model).
Table csv_table(const std::vector<MemoryReport>& reports) {
  Table table{{{"architecture"},
               {"context"},
               {"batch"},
               {"layer_kind"},
               {"layers"},
               {"kv_bytes"},
               {"state_bytes"},
               {"total_bytes"},
               {"full_attention_kv_bytes"},
               {"kv_dtype"},
               {"state_dtype"},
               {"conv_dtype"}},
              {}};
  for (const auto& report : reports)
    for (const auto& row : report.rows) {
      const std::string full =
          row.full_attention_bytes ? std::to_string(*row.full_attention_bytes) : "";
      auto add = [&](const std::string& kind, std::uint64_t layers, std::uint64_t kv,
                     std::uint64_t state, const std::string& baseline) {
        table.add_row({report.name, std::to_string(row.context), std::to_string(row.batch), kind,
                       std::to_string(layers), std::to_string(kv), std::to_string(state),
                       std::to_string(kv + state), baseline, dtype_or_dash(report.dtypes.kv_cache),
                       dtype_or_dash(report.dtypes.recurrent_state),
                       dtype_or_dash(report.dtypes.conv_state)});
      };
      std::uint64_t layers = 0;
      for (const auto& kind : row.by_kind) layers += kind.n_layers;
      add("total", layers, row.kv_bytes, row.state_bytes, full);
      for (const auto& kind : row.by_kind)
        add(kind.layer_kind, kind.n_layers, kind.kv_bytes, kind.state_bytes, "");
    }
  return table;
}

nlohmann::ordered_json dtypes_json(const CacheDTypes& dtypes) {
  nlohmann::ordered_json out;
  out["kv_cache"] = dtype_or_dash(dtypes.kv_cache);
  out["recurrent_state"] = dtype_or_dash(dtypes.recurrent_state);
  out["conv_state"] = dtype_or_dash(dtypes.conv_state);
  return out;
}

std::string render_json(const std::vector<MemoryReport>& reports) {
  nlohmann::ordered_json root;
  root["units"] = "bytes";
  root["architectures"] = nlohmann::ordered_json::array();
  for (const auto& report : reports) {
    nlohmann::ordered_json arch;
    arch["name"] = report.name;
    arch["kv_bytes_per_token"] = report.kv_bytes_per_token;
    arch["state_bytes_per_sequence"] = report.state_bytes_per_sequence;
    arch["layers"] = report.layers;
    arch["dtypes"] = dtypes_json(report.dtypes);
    arch["rows"] = nlohmann::ordered_json::array();
    for (const auto& row : report.rows) {
      nlohmann::ordered_json out;
      out["context"] = row.context;
      out["batch"] = row.batch;
      out["kv_bytes"] = row.kv_bytes;
      out["state_bytes"] = row.state_bytes;
      out["total_bytes"] = row.total_bytes;
      out["full_attention_kv_bytes"] =
          row.full_attention_bytes ? nlohmann::ordered_json(*row.full_attention_bytes) : nullptr;
      const auto saving = row.saving_vs_full_attention();
      out["saving_vs_full_attention"] = saving ? nlohmann::ordered_json(*saving) : nullptr;
      out["by_kind"] = nlohmann::ordered_json::array();
      for (const auto& kind : row.by_kind)
        out["by_kind"].push_back({{"layer_kind", kind.layer_kind},
                                  {"layers", kind.n_layers},
                                  {"kv_bytes_per_token", kind.kv_bytes_per_token},
                                  {"state_bytes_per_sequence", kind.state_bytes_per_sequence},
                                  {"kv_bytes", kind.kv_bytes},
                                  {"state_bytes", kind.state_bytes}});
      arch["rows"].push_back(out);
    }
    root["architectures"].push_back(arch);
  }
  return root.dump(2) + "\n";
}

std::string heading(ByteUnit unit) {
  return fmt::format(
             "KV cache and recurrent state, sizes in {}; KV grows with context (windows cap it), "
             "state is fixed per sequence; 'vs full attn' = saving against the same model with "
             "every "
             "layer as full attention",
             describe_unit(unit)) +
         "\n\n";
}
}  // namespace

std::string render_kv(const std::vector<MemoryReport>& reports, const KvReportOptions& options) {
  switch (options.format) {
    case OutputFormat::json:
      return render_json(reports);
    case OutputFormat::csv:
      return csv_table(reports).render(TableFormat::csv);
    case OutputFormat::text:
    case OutputFormat::markdown: {
      const bool markdown = options.format == OutputFormat::markdown;
      const TableFormat format = markdown ? TableFormat::markdown : TableFormat::text;
      std::string out = heading(options.unit);
      out += totals_table(reports, options.unit).render(format);
      if (options.by_kind) {
        out += markdown ? "\nBy layer kind (batch included):\n\n"
                        : "\nby layer kind (batch included):\n";
        out += kinds_table(reports, options.unit).render(format);
      }
      return out;
    }
  }
  ATTNSIM_ASSERT(false, "unknown output format");
}

}  // namespace attnsim::report
