// Roofline and fit reports: the assumptions first, then per-phase figures.
#include "report/roofline_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
std::string gb(double bytes) { return fmt::format("{:.3f}", bytes / 1e9); }

nlohmann::ordered_json phase_json(const RooflinePhase& phase) {
  return {
      {"flops_per_rank", phase.flops},
      {"weight_bytes", phase.bytes.weight_bytes},
      {"kv_bytes", phase.bytes.kv_bytes},
      {"state_bytes", phase.bytes.state_bytes},
      {"activation_bytes", phase.bytes.activation_bytes},
      {"arithmetic_intensity_flop_per_byte", phase.arithmetic_intensity()},
      {"compute_seconds", phase.compute_seconds},
      {"memory_seconds", phase.memory_seconds},
      {"seconds", phase.seconds()},
      {"spec_seconds", phase.spec_seconds()},
      {"measured_seconds", phase.measured_seconds ? nlohmann::ordered_json(*phase.measured_seconds)
                                                  : nlohmann::ordered_json(nullptr)},
      {"seconds_outside_measured_tables", phase.unmeasured_seconds},
      {"tokens_per_second", phase.tokens_per_second},
      {"bound", phase.memory_bound() ? "memory" : "compute"}};
}

void add_phase(Table& table, const std::string& name, const RooflinePhase& phase) {
  table.add_row({name, fmt::format("{:.4g}", phase.flops / 1e12), gb(phase.bytes.weight_bytes),
                 gb(phase.bytes.kv_bytes), gb(phase.bytes.state_bytes),
                 gb(phase.bytes.activation_bytes),
                 fmt::format("{:.1f}", phase.arithmetic_intensity()),
                 fmt::format("{:.4g}", phase.seconds() * 1e3),
                 fmt::format("{:.4g}", phase.spec_seconds() * 1e3),
                 fmt::format("{:.4g}", phase.tokens_per_second),
                 phase.memory_bound() ? "memory" : "compute"});
}
}  // namespace

std::string render_roofline(const RooflineReport& report, OutputFormat format) {
  const RooflineOptions& o = report.options;
  if (format == OutputFormat::json) {
    nlohmann::ordered_json out = {
        {"name", report.name},
        {"hardware", report.hardware},
        {"tp", o.tp},
        {"batch", o.batch},
        {"context", o.context},
        {"prefill_tokens", o.prefill_tokens},
        {"compute_dtype", o.compute_dtype},
        {"timing", report.timing_model},
        {"timing_note", report.timing_note},
        {"peak_flops_per_s", report.peak_flops_per_s},
        {"bandwidth_bytes_per_s", report.bandwidth_bytes_per_s},
        {"expected_experts_touched_fraction", report.expected_experts_touched_fraction},
        {"resident_bytes_per_rank", report.resident_bytes},
        {"capacity_bytes", report.capacity_bytes},
        {"decode", phase_json(report.decode)},
        {"prefill", phase_json(report.prefill)}};
    return dump_json(json_document("roofline", nlohmann::ordered_json::array({out})));
  }
  std::string out;
  if (format == OutputFormat::text) {
    out += fmt::format("{} on {} (tp={}, per rank): batch {}, decode at L={}, prefill T={}\n",
                       report.name, report.hardware, o.tp, o.batch, format_token_count(o.context),
                       format_token_count(o.prefill_tokens));
    out += fmt::format("  peak {:.1f} TFLOP/s ({} dense), {:.0f} GB/s; ridge {:.1f} FLOP/byte\n",
                       report.peak_flops_per_s / 1e12, o.compute_dtype,
                       report.bandwidth_bytes_per_s / 1e9,
                       report.peak_flops_per_s / report.bandwidth_bytes_per_s);
    if (report.has_experts)
      out += fmt::format(
          "  MoE: a decode batch of {} touches E·(1 − (1 − k/E)^B) experts per layer "
          "(uniform routing): {:.1f}% of the largest layer's experts\n",
          o.batch, 100.0 * report.expected_experts_touched_fraction);
    out +=
        "  decode reads all KV at L and reads+writes the state once; prefill writes KV once; "
        "activations 4·D bytes per block and token; TP communication not modelled; "
        "spec time = max(compute, memory)\n";
    out += fmt::format("  ms: {}; spec ms: the datasheet roofline\n", report.timing_note);
    for (const auto& [name, phase] :
         {std::pair{"decode", &report.decode}, std::pair{"prefill", &report.prefill}})
      if (phase->measured_seconds && phase->unmeasured_seconds > 0.0)
        out += fmt::format(
            "  {}: {:.1f}% of the time is from operations outside the measured tables "
            "(roofline at the measured peaks)\n",
            name, 100.0 * phase->unmeasured_seconds / *phase->measured_seconds);
    if (report.resident_bytes > report.capacity_bytes)
      out += fmt::format(
          "  WARNING: weights + KV + state need {} GB per rank, more than the {} GB "
          "the GPU has; the figures assume it fits\n",
          gb(report.resident_bytes), gb(report.capacity_bytes));
  }
  Table table;
  table.columns = {{"phase", Align::left},
                   {"TFLOP"},
                   {"weights GB"},
                   {"KV GB"},
                   {"state GB"},
                   {"act GB"},
                   {"FLOP/B"},
                   {"ms"},
                   {"spec ms"},
                   {"tokens/s"},
                   {"bound", Align::left}};
  add_phase(table, "decode", report.decode);
  add_phase(table, "prefill", report.prefill);
  out += table.render(format == OutputFormat::markdown ? TableFormat::markdown
                      : format == OutputFormat::csv    ? TableFormat::csv
                                                       : TableFormat::text);
  return out;
}

std::string render_fit(const FitReportInput& fit, OutputFormat format) {
  const FitBudget& b = fit.result.budget;
  const std::string what = fit.search_context ? "context" : "batch";
  if (format == OutputFormat::json) {
    nlohmann::ordered_json out = {{"name", fit.name},
                                  {"hardware", fit.hardware},
                                  {"tp", fit.options.tp},
                                  {"searched", what},
                                  {fit.search_context ? "batch" : "context", fit.fixed},
                                  {"capacity_bytes", b.capacity_bytes},
                                  {"reserve_bytes", b.reserve_bytes},
                                  {"weight_bytes_per_rank", b.weight_bytes},
                                  {"cache_budget_bytes", b.cache_budget_bytes},
                                  {"limit", fit.result.limit}};
    out["max_" + what] = fit.result.value ? nlohmann::ordered_json(*fit.result.value)
                                          : nlohmann::ordered_json(nullptr);
    // The context of the answer (searched or given) past the model's max_context.
    const std::uint64_t context = fit.search_context ? fit.result.value.value_or(0) : fit.fixed;
    // ("max_context" is the answer of a context search: the model's own is model_max_context.)
    out["model_max_context"] =
        fit.max_context ? nlohmann::ordered_json(*fit.max_context) : nlohmann::ordered_json();
    out["beyond_max_context"] = fit.max_context && context > *fit.max_context;
    out["cache_bytes_at_max"] = fit.result.cache_bytes_at_value;
    out["alternatives"] = nlohmann::ordered_json::array();
    for (const auto& alternative : fit.alternatives)
      out["alternatives"].push_back(
          {{"tp", alternative.tp},
           {"weights_dtype", dtype_name(alternative.weights_dtype)},
           {"weight_bytes_per_rank", alternative.result.budget.weight_bytes},
           {"max_" + what, alternative.result.value ? *alternative.result.value : 0}});
    return dump_json(json_document("fit", nlohmann::ordered_json::array({out})));
  }
  std::string out = fmt::format("{} on {} (tp={}, per rank; GB = 10^9 bytes)\n", fit.name,
                                fit.hardware, fit.options.tp);
  out += fmt::format(
      "  capacity {} GB − activation reserve {} GB ({:.0f}%) − weights {} GB{} = {} GB for KV "
      "cache + state\n",
      gb(static_cast<double>(b.capacity_bytes)), gb(static_cast<double>(b.reserve_bytes)),
      100.0 * fit.options.activation_reserve_fraction, gb(static_cast<double>(b.weight_bytes)),
      fit.has_experts ? " (all experts resident)" : "",
      gb(static_cast<double>(b.cache_budget_bytes)));
  if (!fit.result.value) {
    const bool weights_too_big = b.cache_budget_bytes == 0;
    out += fmt::format(
        "  nothing fits: {}\n",
        weights_too_big
            ? "the weights alone exceed capacity − reserve"
            : fmt::format(
                  "not even {} 1 at {} {}", what, fit.search_context ? "batch" : "context",
                  fit.search_context ? std::to_string(fit.fixed) : format_token_count(fit.fixed)));
    for (const auto& alternative : fit.alternatives)
      out += fmt::format(
          "  would fit with --tp {} --weights-dtype {}: weights {} GB per rank, largest {} {}{}\n",
          alternative.tp, dtype_name(alternative.weights_dtype),
          gb(static_cast<double>(alternative.result.budget.weight_bytes)), what,
          fit.search_context ? format_token_count(alternative.result.value.value_or(0))
                             : std::to_string(alternative.result.value.value_or(0)),
          fit.search_context ? " tokens" : "");
    if (fit.alternatives.empty()) out += "  no TP degree up to 64 or narrower weights dtype fits\n";
    return out;
  }
  const std::uint64_t value = *fit.result.value;
  if (fit.search_context)
    out += fmt::format("  largest context at batch {}: {} tokens ({}){}\n", fit.fixed, value,
                       format_token_count(value),
                       value == fit.result.limit ? " — the search limit (model max context)" : "");
  else
    out += fmt::format("  largest batch at context {}{}: {}{}\n", format_token_count(fit.fixed),
                       fit.max_context && fit.fixed > *fit.max_context
                           ? fmt::format(" (past the model's max_context {})",
                                         format_token_count(*fit.max_context))
                           : "",
                       value, value == fit.result.limit ? " — the search limit" : "");
  out += fmt::format("  KV cache + state there: {} GB\n",
                     gb(static_cast<double>(fit.result.cache_bytes_at_value)));
  return out;
}

}  // namespace attnsim::report
