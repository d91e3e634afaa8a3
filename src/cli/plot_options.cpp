// Implementation of the plotting option helpers.
#include "cli/plot_options.h"

#include <fmt/format.h>

#include <cstdlib>

#include "cli/command.h"
#include "core/error.h"
#include "cost/hardware.h"
#include "cost/roofline.h"
#include "report/format.h"

namespace attnsim::cli {

namespace fs = std::filesystem;

report::HorizontalLine capacity_after_weights(const std::string& preset,
                                              const Architecture& architecture, std::uint64_t tp,
                                              std::optional<DType> weights_dtype, ByteUnit unit,
                                              const std::string& model_title) {
  const Hardware hardware = load_hardware(preset);
  FitOptions options;
  options.weights_dtype = weights_dtype;
  options.activation_reserve_fraction = 0;  // the figure draws the plain capacity
  const FitBudget one = fit_budget(architecture, hardware, options);  // tp 1: all the weights
  const double weights = static_cast<double>(one.weight_bytes);
  const double capacity =
      static_cast<double>(tp) * static_cast<double>(hardware.memory_capacity_bytes);
  const std::string dtype(dtype_name(weights_dtype.value_or(architecture.dtypes.weights)));
  const std::string gpus =
      tp == 1 ? hardware.display_name : fmt::format("{} × {}", tp, hardware.display_name);
  const std::string prefix = model_title.empty() ? "" : model_title + ": ";
  const double in_unit = bytes_in(unit);
  const std::string u(byte_unit_name(unit));
  if (weights >= capacity) {
    diagnostics() << fmt::format(
        "attnsim: warning: {} weights alone ({}, {:.1f} {}) do not fit in {} ({:.1f} {}); no "
        "room is left for the KV cache (try --tp or --weights-dtype)\n",
        architecture.display_name, dtype, weights / in_unit, u, gpus, capacity / in_unit, u);
    report::HorizontalLine line;
    line.title =
        fmt::format("{}{} weights ({:.1f} {}) > {}", prefix, dtype, weights / in_unit, u, gpus);
    line.key_only = true;
    return line;
  }
  report::HorizontalLine line;
  line.y = (capacity - weights) / in_unit;
  line.title =
      fmt::format("{}{} − {} weights ({:.1f} {})", prefix, gpus, dtype, weights / in_unit, u);
  return line;
}

FlopOptions flop_options_from(const std::string& causal, const std::string& linear,
                              const std::string& chunk) {
  FlopOptions options;
  if (causal != "half" && causal != "full")
    throw UserError({}, "--causal", "half or full", fmt::format("'{}'", causal),
                    "half skips masked pairs (FlashAttention), full counts them (Kaplan)");
  options.causal = causal == "half" ? CausalConvention::half : CausalConvention::full;
  if (linear != "chunked" && linear != "recurrent")
    throw UserError({}, "--linear", "chunked or recurrent", fmt::format("'{}'", linear));
  options.linear = linear == "chunked" ? LinearAlgorithm::chunked : LinearAlgorithm::recurrent;
  options.chunk = parse_token_count(chunk, "--chunk");
  return options;
}

int report_rendered(const report::RenderedFigure& figure, std::ostream&) {
  if (figure.rendered) {
    diagnostics() << fmt::format("attnsim: wrote {} (data {}, script {})\n", figure.image.string(),
                                 figure.csv.string(), figure.script.string());
    return 0;
  }
  diagnostics() << fmt::format(
      "attnsim: note: gnuplot is not installed, so {} was not drawn; wrote its data {} and "
      "script {}.\n  Install it with `{}` (or scripts/install-deps), then run `gnuplot {}` in "
      "{}.\n",
      figure.image.string(), figure.csv.string(), figure.script.string(), report::kInstallGnuplot,
      figure.script.filename().string(),
      figure.image.parent_path().empty() ? "." : figure.image.parent_path().string());
  return kExitNoGnuplot;
}

}  // namespace attnsim::cli
