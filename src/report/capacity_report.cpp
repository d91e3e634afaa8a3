// Capacity rendering: a table of budget, paper-minimum requests and the engine's pool, then the
// engine's own start-up lines, word for word, for each architecture and request length.
#include "report/capacity_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
bool is_sglang(const CapacityReport& report) { return report.engine_name == "sglang"; }

nlohmann::ordered_json capacity_json(const Capacity& capacity, bool sglang) {
  nlohmann::ordered_json out = {{"budget_bytes", capacity.budget_bytes},
                                {"weight_bytes", capacity.weight_bytes},
                                {"tokens", capacity.tokens},
                                {"max_concurrency", capacity.max_concurrency}};
  if (sglang) {
    out["cell_bytes"] = capacity.cell_bytes;
    out["max_running_requests"] = capacity.max_running_requests;
    out["state_slots"] = capacity.state_slots;
    out["window_tokens"] = capacity.window_tokens;
  } else {
    out["num_blocks"] = capacity.num_blocks;
    out["blocks_per_request"] = capacity.blocks_per_request;
  }
  return out;
}

std::string render_json(const CapacityReport& report) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : report.rows) {
    nlohmann::ordered_json out;
    out["name"] = row.architecture;
    out["max_model_len"] = row.max_model_len;
    out["paper"] = capacity_json(row.paper, false);
    out["engine"] = row.engine ? capacity_json(*row.engine, is_sglang(report))
                               : nlohmann::ordered_json(nullptr);
    if (!row.engine) out["engine_missing"] = row.engine_missing;
    rows.push_back(out);
  }
  nlohmann::ordered_json root = json_document("capacity", std::move(rows));
  root["hardware"] = report.hardware;
  root["memory_bytes"] = report.memory_bytes;
  root["engine"] = report.engine_name;
  root["tp"] = report.options.tp;
  root["memory_fraction"] = report.options.memory_fraction;
  root["reserved_bytes"] = report.options.reserved_bytes;
  if (!is_sglang(report)) root["max_num_batched_tokens"] = report.options.max_num_batched_tokens;
  if (report.options.kv_memory_bytes) root["kv_memory_bytes"] = *report.options.kv_memory_bytes;
  return dump_json(root);
}

// vLLM's two lines (kv_cache_utils.py): "GPU KV cache size: %s tokens" with thousands separators
// and "Maximum concurrency for %s tokens per request: %.2fx".
std::string vllm_lines(const Capacity& capacity, std::uint64_t max_model_len) {
  return fmt::format(
      "GPU KV cache size: {} tokens\nMaximum concurrency for {} tokens per request: {:.2f}x\n",
      with_thousands(capacity.tokens), with_thousands(max_model_len), capacity.max_concurrency);
}

// SGLang's lines (model_runner_kv_cache_mixin.py, scheduler.py): the hybrid-SWA pool split, then
// the scheduler's summary, reduced to the values modelled.
std::string sglang_lines(const Capacity& capacity, std::uint64_t max_model_len,
                         double memory_fraction) {
  std::string out;
  if (capacity.window_tokens > 0 && capacity.window_tokens != capacity.tokens)
    out +=
        fmt::format("Use sliding window memory pool. full_layer_tokens={}, swa_layer_tokens={}\n",
                    capacity.tokens, capacity.window_tokens);
  out += fmt::format(
      "max_total_num_tokens={}, max_running_requests={}, context_len={}, "
      "mem_fraction_static={}\n",
      capacity.tokens, capacity.max_running_requests, max_model_len, memory_fraction);
  if (capacity.state_slots > 0)
    out += fmt::format("(recurrent-state pool: max_mamba_cache_size={} slots)\n",
                       capacity.state_slots);
  return out;
}

std::string preamble(const CapacityReport& report) {
  const CapacityOptions& o = report.options;
  const std::string fraction =
      is_sglang(report) ? fmt::format("{} (SGLang --mem-fraction-static)", o.memory_fraction)
                        : fmt::format("{} (vLLM --gpu-memory-utilization)", o.memory_fraction);
  const std::string reserved =
      o.reserved_bytes > 0
          ? fmt::format("and {:.2f} GiB reserved (--reserved) ", o.reserved_bytes / 1073741824.0)
          : "";
  const std::string overhead =
      o.reserved_bytes > 0
          ? "Activations and CUDA graphs are the --reserved figure. "
          : "Activations, CUDA graphs and allocator overhead are not subtracted (the engine "
            "measures them at start-up; give them with --reserved), so these are upper bounds. ";
  const std::string counting =
      is_sglang(report)
          ? "'requests' = min(tokens / L, max_running_requests); SGLang's pool holds tokens, not "
            "requests."
          : "'requests' = budget / the bytes one request of L tokens needs; 'tokens' = requests × "
            "L, as vLLM counts them.";
  if (o.kv_memory_bytes)
    return fmt::format(
        "Capacity per GPU on {} at {} rank(s): the KV budget on each is --kv-memory {:.2f} GiB "
        "({} B, vLLM's \"Available KV cache memory\"); memory fraction and weights play no "
        "part. {}\n\n",
        report.hardware, o.tp, *o.kv_memory_bytes / 1073741824.0, *o.kv_memory_bytes, counting);
  return fmt::format(
      "Capacity per GPU on {} ({:.2f} GiB = {:.2f} GB): memory fraction {} of it, less the "
      "weights {}on each of {} rank(s); the budget left holds the KV cache and state. {}{}\n\n",
      report.hardware, report.memory_bytes / 1073741824.0, report.memory_bytes / 1e9, fraction,
      reserved, o.tp, overhead, counting);
}
}  // namespace

std::string render_capacity(const CapacityReport& report, OutputFormat format) {
  if (format == OutputFormat::json) return render_json(report);
  const bool markdown = format == OutputFormat::markdown;
  const bool sglang = is_sglang(report);
  std::string out = preamble(report);
  const std::string& e_name = report.engine;
  Table table{{{"architecture", Align::left},
               {"L"},
               {"weights GB"},
               {"budget GB"},
               {"paper requests"},
               {"paper tokens"},
               {e_name + " requests"},
               {e_name + " tokens"},
               {sglang ? "running requests" : e_name + " pages"},
               {sglang ? "state slots" : "pages/request"}},
              {}};
  const auto gb = [](std::uint64_t bytes) {
    return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e9);
  };
  for (const auto& row : report.rows) {
    const auto& e = row.engine;
    const auto count = [&](std::uint64_t value) { return e ? with_thousands(value) : "-"; };
    table.add_row({row.architecture, with_thousands(row.max_model_len), gb(row.paper.weight_bytes),
                   gb(row.paper.budget_bytes), fmt::format("{:.2f}", row.paper.max_concurrency),
                   with_thousands(row.paper.tokens),
                   e ? fmt::format("{:.2f}", e->max_concurrency) : "-", count(e ? e->tokens : 0),
                   count(e ? (sglang ? e->max_running_requests : e->num_blocks) : 0),
                   count(e ? (sglang ? e->state_slots : e->blocks_per_request) : 0)});
  }
  out += table.render(markdown ? TableFormat::markdown : TableFormat::text);
  for (const auto& row : report.rows) {
    out += fmt::format("\n{} at L = {}: {} would print\n", row.architecture,
                       with_thousands(row.max_model_len), e_name);
    if (row.engine && row.engine->budget_bytes == 0)
      out +=
          "  (nothing: the weights alone do not fit; the engine stops with an out-of-memory "
          "error. Try a larger --tp or a smaller --weights-dtype)\n";
    else if (row.engine)
      out += (markdown ? "\n```\n" : "") +
             (sglang ? sglang_lines(*row.engine, row.max_model_len, report.options.memory_fraction)
                     : vllm_lines(*row.engine, row.max_model_len)) +
             (markdown ? "```\n" : "");
    else
      out += "  (not modelled: " + row.engine_missing + ")\n";
  }
  return out;
}

}  // namespace attnsim::report
