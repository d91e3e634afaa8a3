// Capacity rendering: a table of budget, paper-minimum requests and the engine's pool, then the
// engine's own start-up lines, word for word, for each architecture and request length.
#include "report/capacity_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/table.h"

namespace attnsim::report {

namespace {
nlohmann::ordered_json capacity_json(const Capacity& capacity) {
  return {{"budget_bytes", capacity.budget_bytes},
          {"weight_bytes", capacity.weight_bytes},
          {"tokens", capacity.tokens},
          {"max_concurrency", capacity.max_concurrency},
          {"num_blocks", capacity.num_blocks},
          {"blocks_per_request", capacity.blocks_per_request}};
}

std::string render_json(const CapacityReport& report) {
  nlohmann::ordered_json root;
  root["units"] = "bytes";
  root["hardware"] = report.hardware;
  root["engine"] = report.engine;
  root["tp"] = report.options.tp;
  root["memory_fraction"] = report.options.memory_fraction;
  root["max_num_batched_tokens"] = report.options.max_num_batched_tokens;
  root["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : report.rows) {
    nlohmann::ordered_json out;
    out["architecture"] = row.architecture;
    out["max_model_len"] = row.max_model_len;
    out["paper"] = capacity_json(row.paper);
    out["engine"] = row.engine ? capacity_json(*row.engine) : nlohmann::ordered_json(nullptr);
    if (!row.engine) out["engine_missing"] = row.engine_missing;
    root["rows"].push_back(out);
  }
  return root.dump(2) + "\n";
}

// vLLM's two lines (kv_cache_utils.py): "GPU KV cache size: %s tokens" with thousands separators
// and "Maximum concurrency for %s tokens per request: %.2fx".
std::string vllm_lines(const Capacity& capacity, std::uint64_t max_model_len) {
  return fmt::format(
      "GPU KV cache size: {} tokens\nMaximum concurrency for {} tokens per request: {:.2f}x\n",
      with_thousands(capacity.tokens), with_thousands(max_model_len), capacity.max_concurrency);
}
}  // namespace

std::string render_capacity(const CapacityReport& report, OutputFormat format) {
  if (format == OutputFormat::json) return render_json(report);
  const bool markdown = format == OutputFormat::markdown;
  const CapacityOptions& o = report.options;
  std::string out = fmt::format(
      "Capacity per GPU on {}: memory fraction {} (vLLM --gpu-memory-utilization) of its memory, "
      "less the weights on each of {} rank(s); the budget left holds the KV cache and state. "
      "Activations, CUDA graphs and allocator overhead are not subtracted (the engine measures "
      "them at start-up), so these are upper bounds. 'requests' = budget / the bytes one request "
      "of L tokens needs; 'tokens' = requests × L, as vLLM counts them.\n\n",
      report.hardware, o.memory_fraction, o.tp);
  Table table{{{"architecture", Align::left},
               {"L"},
               {"weights GB"},
               {"budget GB"},
               {"paper requests"},
               {"paper tokens"},
               {report.engine + " requests"},
               {report.engine + " tokens"},
               {report.engine + " pages"},
               {"pages/request"}},
              {}};
  const auto gb = [](std::uint64_t bytes) {
    return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e9);
  };
  for (const auto& row : report.rows) {
    const auto& e = row.engine;
    table.add_row({row.architecture, with_thousands(row.max_model_len), gb(row.paper.weight_bytes),
                   gb(row.paper.budget_bytes), fmt::format("{:.2f}", row.paper.max_concurrency),
                   with_thousands(row.paper.tokens),
                   e ? fmt::format("{:.2f}", e->max_concurrency) : "-",
                   e ? with_thousands(e->tokens) : "-", e ? with_thousands(e->num_blocks) : "-",
                   e ? with_thousands(e->blocks_per_request) : "-"});
  }
  out += table.render(markdown ? TableFormat::markdown : TableFormat::text);
  for (const auto& row : report.rows) {
    out += fmt::format("\n{} at L = {}: {} would print\n", row.architecture,
                       with_thousands(row.max_model_len), report.engine);
    if (row.engine)
      out += (markdown ? "\n```\n" : "") + vllm_lines(*row.engine, row.max_model_len) +
             (markdown ? "```\n" : "");
    else
      out += "  (not modelled: " + row.engine_missing + ")\n";
  }
  return out;
}

}  // namespace attnsim::report
