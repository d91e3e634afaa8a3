// Figures from the cost models: prefill FLOPs vs context (cost/flops.h, log-log) and decode time
// per token vs context on a hardware preset (cost/roofline.h). Both are line plots over a log-2
// context axis drawn by line_plot_script; the CSV beside each holds the raw numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cost/flops.h"
#include "cost/hardware.h"
#include "cost/roofline.h"
#include "report/plot.h"

namespace attnsim::report {

// Prefill of one sequence of T tokens for every T in `contexts`, one line per architecture.
// CSV: context_tokens, then "<name> prefill FLOPs" (raw FLOPs, 9 significant digits).
// The y axis is log-10 with ticks at powers of ten written as 10^12 (an SI "T" would read as the
// context length T of the x axis);
// the title states the causal convention and the linear/SSM algorithm.
FigureFiles prefill_flops_figure(const std::vector<Architecture>& architectures,
                                 const std::vector<std::uint64_t>& contexts,
                                 const FlopOptions& options, const std::string& title,
                                 ImageFormat format, const std::string& csv_name,
                                 const std::string& image_name);

struct DecodePlotOptions {
  RooflineOptions roofline;  // batch, tp, dtypes; `context` is set per point
  bool log_y = false;
  std::string title;  // empty: a title naming the hardware, batch and tp
};

// One decode step at context L for every L in `contexts` (roofline time = max(compute, memory)),
// in milliseconds per token. CSV: context_tokens, then "<name> decode ms/token" and
// "<name> bound" (1 = memory-bound, 0 = compute-bound) per architecture.
FigureFiles decode_time_figure(const std::vector<Architecture>& architectures,
                               const std::vector<std::uint64_t>& contexts, const Hardware& hardware,
                               const DecodePlotOptions& options, ImageFormat format,
                               const std::string& csv_name, const std::string& image_name);

// Powers of ten covering [lo, hi] labelled as exponents: 1e12 → "10^12", 1e16 → "10^16".
std::vector<AxisTick> flop_ticks(double lo, double hi);

}  // namespace attnsim::report
