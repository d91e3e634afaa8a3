// Implementation of the plotting option helpers.
#include "cli/plot_options.h"

#include <fmt/format.h>

#include <cstdlib>

#include "cli/command.h"
#include "core/error.h"
#include "cost/hardware.h"
#include "report/format.h"

namespace attnsim::cli {

namespace fs = std::filesystem;

report::HorizontalLine hardware_capacity_line(const std::string& preset, ByteUnit unit) {
  const Hardware hardware = load_hardware(preset);
  const double value = static_cast<double>(hardware.memory_capacity_bytes) / bytes_in(unit);
  return {fmt::format("{} ({:.1f} {})", hardware.display_name, value, byte_unit_name(unit)), value};
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
