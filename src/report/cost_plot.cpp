// CSV data and gnuplot scripts for the FLOPs and decode-time figures. FLOPs stay doubles, as in
// cost/flops.h: a 1T-parameter model over 256K tokens exceeds 2^64.
#include "report/cost_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
// 9 significant digits: exact for every count below 10^9 and for the hand-checked test values.
std::string value(double number) { return fmt::format("{:.9g}", number); }

// Shorter than describe(): the subtitle must fit on one line of the figure.
std::string causal_note(CausalConvention causal) {
  return causal == CausalConvention::half
             ? "causal: masked pairs skipped, T(T+1)/2 (FlashAttention)"
             : "causal: masked pairs counted, T*min(T,W) (Kaplan)";
}

std::string linear_note(const FlopOptions& options) {
  return options.linear == LinearAlgorithm::chunked ? fmt::format("chunked, C = {}", options.chunk)
                                                    : "recurrent";
}

std::string csv_header(const std::vector<std::string>& columns) {
  std::vector<std::string> fields{"context_tokens"};
  for (const auto& column : columns) fields.push_back(csv_field(column));
  return fmt::format("{}\n", fmt::join(fields, ","));
}

// rows[c][a]: the value at contexts[c] of architecture a.
std::string csv_rows(const std::vector<std::uint64_t>& contexts,
                     const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (std::size_t c = 0; c < contexts.size(); ++c) {
    text += std::to_string(contexts[c]);
    for (const auto& field : rows[c]) {
      text += ',';
      text += field;
    }
    text += '\n';
  }
  return text;
}
}  // namespace

std::vector<AxisTick> flop_ticks(double lo, double hi) {
  ATTNSIM_ASSERT(lo > 0 && hi >= lo, "FLOP ticks need a positive range");
  std::vector<AxisTick> ticks;
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  const int last = static_cast<int>(std::ceil(std::log10(hi)));
  for (int exponent = std::max(first, 0); exponent <= last; ++exponent)
    ticks.push_back({fmt::format("10^{}", exponent), std::pow(10.0, exponent)});
  return ticks;
}

FigureFiles prefill_flops_figure(const std::vector<Architecture>& architectures,
                                 const std::vector<std::uint64_t>& contexts,
                                 const FlopOptions& options, const std::string& title,
                                 ImageFormat format, const std::string& csv_name,
                                 const std::string& image_name) {
  ATTNSIM_ASSERT(!architectures.empty() && !contexts.empty(), "a FLOPs figure has data");
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows(contexts.size());
  double lo = INFINITY;
  double hi = 0;
  LinePlot plot;
  const auto titles = sweep_titles(architectures);
  for (std::size_t a = 0; a < architectures.size(); ++a) {
    columns.push_back(fmt::format("{} prefill FLOPs", architectures[a].name));
    plot.series.push_back(
        {titles[a], a + 2, false, solid_until(contexts, architectures[a].dims.max_context)});
    for (std::size_t c = 0; c < contexts.size(); ++c) {
      // The decode context does not matter here; the prefill of T tokens is the figure.
      const double flops =
          model_flops(architectures[a], contexts[c], contexts[c], options).prefill_total;
      lo = std::min(lo, flops);
      hi = std::max(hi, flops);
      rows[c].push_back(value(flops));
    }
  }
  FigureFiles files;
  files.csv = csv_header(columns) + csv_rows(contexts, rows);
  plot.title = title.empty() ? "Prefill FLOPs of one sequence vs context length" : title;
  plot.subtitle = fmt::format("{}; linear/SSM {}; lm head counted", causal_note(options.causal),
                              linear_note(options));
  plot.x_label = "context length T (tokens, prefilled from an empty cache)";
  plot.y_label = "prefill FLOPs (log scale)";
  plot.x_ticks = context_ticks(contexts);
  plot.log_y = true;
  plot.y_ticks = flop_ticks(lo, hi);
  plot.y_range = std::pair{lo / 1.5, hi * 1.5};  // no empty decade above or below the data
  files.script = line_plot_script(plot, format, csv_name, image_name);
  return files;
}

FigureFiles decode_time_figure(const std::vector<Architecture>& architectures,
                               const std::vector<std::uint64_t>& contexts, const Hardware& hardware,
                               const DecodePlotOptions& options, ImageFormat format,
                               const std::string& csv_name, const std::string& image_name) {
  ATTNSIM_ASSERT(!architectures.empty() && !contexts.empty(), "a decode figure has data");
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows(contexts.size());
  LinePlot plot;
  std::string timing_model = "spec", timing_note;
  const auto titles = sweep_titles(architectures);
  for (std::size_t a = 0; a < architectures.size(); ++a) {
    columns.push_back(fmt::format("{} decode ms/token", architectures[a].name));
    columns.push_back(fmt::format("{} bound", architectures[a].name));
    plot.series.push_back(
        {titles[a], 2 + 2 * a, false, solid_until(contexts, architectures[a].dims.max_context)});
    for (std::size_t c = 0; c < contexts.size(); ++c) {
      RooflineOptions at = options.roofline;
      at.context = contexts[c];
      at.prefill_tokens = 1;  // the prefill phase is not drawn; keep it cheap
      const RooflineReport report = roofline(architectures[a], hardware, at);
      const RooflinePhase& decode = report.decode;
      timing_model = report.timing_model;
      timing_note = report.timing_note;
      rows[c].push_back(value(decode.seconds() * 1e3));
      rows[c].push_back(decode.memory_bound() ? "1" : "0");
    }
  }
  FigureFiles files;
  files.csv = csv_header(columns) + csv_rows(contexts, rows);
  const auto& r = options.roofline;
  plot.title =
      options.title.empty()
          ? fmt::format("Decode time per token vs context on {} ({})", hardware.display_name,
                        timing_model == "measured" ? "measured time model" : "roofline")
          : options.title;
  plot.subtitle =
      timing_model == "measured"
          ? fmt::format("batch {}, TP {}; times: {}", r.batch, r.tp, timing_note)
          : fmt::format(
                "batch {}, TP {}, {} peak {:.0f} TFLOP/s, {:.0f} GB/s; time = max(FLOPs / peak, "
                "bytes / bandwidth)",
                r.batch, r.tp, r.compute_dtype, hardware.peak_for(r.compute_dtype) / 1e12,
                hardware.memory_bandwidth_bytes_per_s / 1e9);
  plot.x_label = "context length L seen by the decode step (tokens)";
  plot.y_label =
      options.log_y ? "decode time per step (ms, log scale)" : "decode time per step (ms)";
  plot.x_ticks = context_ticks(contexts);
  plot.log_y = options.log_y;
  // Decode time is nearly flat (weights dominate) until KV reads catch up, so the curves run
  // along the top-left corner where the key would sit.
  plot.key_below = true;
  files.script = line_plot_script(plot, format, csv_name, image_name);
  return files;
}

}  // namespace attnsim::report
