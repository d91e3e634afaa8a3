// Option values shared by `plot`, `sweep` and `report`: context specs ("1k:1M" ranges or lists),
// GPU capacity lines from hardware presets, and the note printed when gnuplot is missing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cost/flops.h"
#include "graph/architecture.h"
#include "report/plot.h"
#include "report/plot_render.h"

namespace attnsim::cli {

// Exit code when the data and script were written but no image (gnuplot is not installed).
inline constexpr int kExitNoGnuplot = 4;

// What is left of `tp` GPUs of `preset` for KV cache and state once the weights of
// `architecture` (in `weights_dtype`, default its own) are loaded: tp × capacity − weights, the
// budget for the whole model's cache as the memory figure draws it (KV heads assumed split
// evenly over the ranks). Titled "NVIDIA H100 SXM 80GB − bf16 weights (15.0 GiB)",
// prefixed with `model_title` when not empty. When the weights alone do not fit, a key-only line
// saying so, and a warning on diagnostics().
report::HorizontalLine capacity_after_weights(const std::string& preset,
                                              const Architecture& architecture, std::uint64_t tp,
                                              std::optional<DType> weights_dtype, ByteUnit unit,
                                              const std::string& model_title);

// FLOP conventions from option values: causal "half"|"full", linear "chunked"|"recurrent",
// chunk a token count (UserError naming --causal/--linear/--chunk otherwise).
FlopOptions flop_options_from(const std::string& causal, const std::string& linear,
                              const std::string& chunk);

// "attnsim: wrote mem.svg, mem.svg.csv, mem.svg.gp" on diagnostics(), or the install hint
// there; the exit code.
int report_rendered(const report::RenderedFigure& figure, std::ostream& out);

}  // namespace attnsim::cli
