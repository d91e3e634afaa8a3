// Option values shared by `plot`, `sweep` and `report`: context specs ("1k:1M" ranges or lists),
// GPU capacity lines from hardware presets, and the note printed when gnuplot is missing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "cost/flops.h"
#include "report/plot.h"
#include "report/plot_render.h"

namespace attnsim::cli {

// Exit code when the data and script were written but no image (gnuplot is not installed).
inline constexpr int kExitNoGnuplot = 4;

// The memory capacity of a hardware preset (cost/hardware.h: configs/hardware/<preset>.yaml or
// a path), as a line titled "NVIDIA H100 SXM 80GB (74.5 GiB)" in `unit`.
report::HorizontalLine hardware_capacity_line(const std::string& preset, ByteUnit unit);

// FLOP conventions from option values: causal "half"|"full", linear "chunked"|"recurrent",
// chunk a token count (UserError naming --causal/--linear/--chunk otherwise).
FlopOptions flop_options_from(const std::string& causal, const std::string& linear,
                              const std::string& chunk);

// "attnsim: wrote mem.svg, mem.svg.csv, mem.svg.gp" on diagnostics(), or the install hint
// there; the exit code.
int report_rendered(const report::RenderedFigure& figure, std::ostream& out);

}  // namespace attnsim::cli
