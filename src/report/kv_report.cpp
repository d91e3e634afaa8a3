// KV report rendering: a totals table, a per-layer-kind breakdown, and the JSON contract; with an
// engine profile, the paper minimum and the engine's allocation side by side.
#include "report/kv_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "report/json_document.h"
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
      table.add_row({report.name,
                     // * marks a context past the model's max_context (an extrapolation).
                     format_token_count(row.context) +
                         (report.max_context && row.context > *report.max_context ? "*" : ""),
                     std::to_string(row.batch), format_size(row.kv_bytes, unit),
                     format_size(row.state_bytes, unit), format_size(row.total_bytes, unit),
                     format_percent(row.saving_vs_full_attention()),
                     with_thousands(report.kv_bytes_per_token),
                     with_thousands(report.state_bytes_per_sequence),
                     dtype_or_dash(report.dtypes.kv_cache),
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

nlohmann::ordered_json arch_json(const MemoryReport& report) {
  nlohmann::ordered_json arch;
  arch["name"] = report.name;
  arch["kv_bytes_per_token"] = report.kv_bytes_per_token;
  arch["state_bytes_per_sequence"] = report.state_bytes_per_sequence;
  arch["layers"] = report.layers;
  arch["dtypes"] = dtypes_json(report.dtypes);
  arch["max_context"] =
      report.max_context ? nlohmann::ordered_json(*report.max_context) : nlohmann::ordered_json();
  arch["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : report.rows) {
    nlohmann::ordered_json out;
    out["context"] = row.context;
    // A context past the model's max_context extrapolates it (* in tables, dotted in figures).
    out["beyond_max_context"] = report.max_context && row.context > *report.max_context;
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
  return arch;
}

std::string render_json(const std::vector<MemoryReport>& reports) {
  nlohmann::ordered_json architectures = nlohmann::ordered_json::array();
  for (const auto& report : reports) architectures.push_back(arch_json(report));
  return dump_json(json_document("kv", std::move(architectures)));
}

// The contract keys hold the engine's allocation; `paper` beside them holds the same keys for
// the minimum.
nlohmann::ordered_json paper_json(const MemoryReport& paper) {
  nlohmann::ordered_json out;
  out["kv_bytes_per_token"] = paper.kv_bytes_per_token;
  out["state_bytes_per_sequence"] = paper.state_bytes_per_sequence;
  out["dtypes"] = dtypes_json(paper.dtypes);
  out["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : paper.rows)
    out["rows"].push_back(
        {{"context", row.context},
         {"beyond_max_context", paper.max_context && row.context > *paper.max_context},
         {"batch", row.batch},
         {"kv_bytes", row.kv_bytes},
         {"state_bytes", row.state_bytes},
         {"total_bytes", row.total_bytes}});
  return out;
}

std::string render_engine_json(const std::vector<EngineKv>& reports, const EngineProfile& engine) {
  nlohmann::ordered_json architectures = nlohmann::ordered_json::array();
  for (const auto& report : reports) {
    nlohmann::ordered_json arch = arch_json(report.engine);
    arch["paper"] = paper_json(report.paper);
    architectures.push_back(arch);
  }
  nlohmann::ordered_json root = json_document("kv", std::move(architectures));
  root["engine"] = {{"name", engine.name}, {"describes", engine.describes}};
  return dump_json(root);
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
// "kv bf16, state fp32/bf16" plus any KV storage beyond the dtype ("fp8 latent record").
std::string dtypes_label(const MemoryReport& report) {
  std::string label = "kv " + dtype_or_dash(report.dtypes.kv_cache);
  if (!report.kv_storage.empty()) label += " (" + report.kv_storage + ")";
  if (report.dtypes.recurrent_state || report.dtypes.conv_state)
    label += ", state " + dtype_or_dash(report.dtypes.recurrent_state) + "/" +
             dtype_or_dash(report.dtypes.conv_state);
  return label;
}

// Paper minimum and engine allocation side by side, one line per architecture × context.
Table side_by_side_table(const std::vector<EngineKv>& reports, const EngineProfile& engine,
                         ByteUnit unit) {
  const std::string u = std::string(byte_unit_name(unit));
  Table table{{{"architecture", Align::left},
               {"context"},
               {"batch"},
               {"paper KV " + u},
               {"paper state " + u},
               {"paper total " + u},
               {engine.name + " KV " + u},
               {engine.name + " state " + u},
               {engine.name + " total " + u},
               {engine.name + "/paper total"},
               {"paper B/token"},
               {engine.name + " B/token"},
               {"paper state B/seq"},
               {engine.name + " state B/seq"},
               {"paper dtypes", Align::left},
               {engine.name + " dtypes", Align::left}},
              {}};
  for (const auto& report : reports)
    for (std::size_t i = 0; i < report.engine.rows.size(); ++i) {
      const MemoryRow& paper = report.paper.rows[i];
      const MemoryRow& mine = report.engine.rows[i];
      const std::string ratio =
          paper.total_bytes == 0
              ? "-"
              : fmt::format("{:.3f}", static_cast<double>(mine.total_bytes) /
                                          static_cast<double>(paper.total_bytes));
      table.add_row({report.engine.name, format_token_count(mine.context),
                     std::to_string(mine.batch), format_size(paper.kv_bytes, unit),
                     format_size(paper.state_bytes, unit), format_size(paper.total_bytes, unit),
                     format_size(mine.kv_bytes, unit), format_size(mine.state_bytes, unit),
                     format_size(mine.total_bytes, unit), ratio,
                     with_thousands(report.paper.kv_bytes_per_token),
                     with_thousands(report.engine.kv_bytes_per_token),
                     with_thousands(report.paper.state_bytes_per_sequence),
                     with_thousands(report.engine.state_bytes_per_sequence),
                     dtypes_label(report.paper), dtypes_label(report.engine)});
    }
  return table;
}

// The long CSV form of the engine's allocation with the paper minimum in extra columns.
Table engine_csv_table(const std::vector<EngineKv>& reports, const EngineProfile& engine) {
  std::vector<MemoryReport> mine;
  for (const auto& report : reports) mine.push_back(report.engine);
  Table table = csv_table(mine);
  for (const char* column : {"engine", "paper_kv_bytes", "paper_state_bytes", "paper_total_bytes"})
    table.columns.push_back({column});
  std::size_t line = 0;
  for (const auto& report : reports)
    for (const auto& row : report.paper.rows) {
      auto add = [&](std::uint64_t kv, std::uint64_t state) {
        auto& cells = table.rows.at(line++);
        cells.push_back(engine.name);
        cells.push_back(std::to_string(kv));
        cells.push_back(std::to_string(state));
        cells.push_back(std::to_string(kv + state));
      };
      add(row.kv_bytes, row.state_bytes);
      for (const auto& kind : row.by_kind) add(kind.kv_bytes, kind.state_bytes);
    }
  ATTNSIM_ASSERT(line == table.rows.size(), "the paper and engine rows line up");
  return table;
}

std::string engine_heading(const EngineProfile& engine, ByteUnit unit, bool markdown) {
  std::string out = fmt::format(
      "Paper minimum vs what {} allocates ({}), sizes in {}; rules and sources in "
      "configs/engines/{}.yaml\n"
      "'{}/paper total' = the total bytes {} allocates / the paper minimum's total, at the same "
      "context and batch; each side keeps its own cache dtypes ('paper dtypes': the model file's "
      "or --kv-dtype etc.; '{} dtypes': the engine's defaults, forced dtypes and record formats), "
      "so a ratio below 1 is a smaller storage format, not less state kept\n",
      engine.display_name, engine.describes, describe_unit(unit), engine.name, engine.name,
      engine.display_name, engine.name);
  if (!engine.not_modelled.empty()) {
    out += markdown ? "\nNot modelled:\n\n" : "not modelled:\n";
    for (const auto& item : engine.not_modelled) {
      out += "  - ";
      out += item.text;
      out += "\n";
    }
  }
  return out + "\n";
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
      if (!options.run_line.empty()) out += options.run_line + "\n";
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

std::string render_kv_engine(const std::vector<EngineKv>& reports, const EngineProfile& engine,
                             const KvReportOptions& options) {
  switch (options.format) {
    case OutputFormat::json:
      return render_engine_json(reports, engine);
    case OutputFormat::csv:
      return engine_csv_table(reports, engine).render(TableFormat::csv);
    case OutputFormat::text:
    case OutputFormat::markdown: {
      const bool markdown = options.format == OutputFormat::markdown;
      const TableFormat format = markdown ? TableFormat::markdown : TableFormat::text;
      std::string out = engine_heading(engine, options.unit, markdown);
      if (!options.run_line.empty()) out += options.run_line + "\n";
      out += side_by_side_table(reports, engine, options.unit).render(format);
      if (options.by_kind) {
        std::vector<MemoryReport> mine;
        for (const auto& report : reports) mine.push_back(report.engine);
        out += markdown ? "\nBy layer kind, as " : "\nby layer kind, as ";
        out += engine.name;
        out += markdown ? " allocates (batch included):\n\n" : " allocates (batch included):\n";
        out += kinds_table(mine, options.unit).render(format);
      }
      return out;
    }
  }
  ATTNSIM_ASSERT(false, "unknown output format");
}

}  // namespace attnsim::report
