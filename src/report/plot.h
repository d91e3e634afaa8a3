// Figures as gnuplot scripts plus the CSV data they read: a generic line plot over context
// (memory today; the FLOPs and decode-time figures reuse it), and the layer-composition strips.
// Building a figure is pure text; plot_render.h writes the files and runs gnuplot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "cost/memory.h"
#include "graph/architecture.h"

namespace attnsim::report {

enum class ImageFormat { svg, png, pdf };
// By extension (.svg, .png, .pdf; case-insensitive); UserError naming `what` otherwise.
ImageFormat image_format_for(const std::filesystem::path& file, std::string_view what);

// What a figure is made of: its data (CSV text) and the gnuplot script that draws it. The
// script reads the CSV by its file name and writes `image_name` unless the variable `outfile`
// is set (`gnuplot -e "outfile='x.png'" fig.gp`), so it can be rerun and restyled by hand.
struct FigureFiles {
  std::string csv;
  std::string script;
};

// Context lengths 2^k with lo <= 2^k <= hi ("1k:1M" → 1K, 2K, 4K, …, 1M); UserError when empty.
std::vector<std::uint64_t> powers_of_two_between(std::uint64_t lo, std::uint64_t hi);
// Axis ticks for a log-2 context axis: every power of four from the first point (1K, 4K, 16K,
// …), or every point when there are at most six.
std::vector<std::uint64_t> context_ticks(const std::vector<std::uint64_t>& contexts);

// A horizontal reference line drawn as its own key entry (never a label that can overlap).
struct HorizontalLine {
  std::string title;
  double y = 0;
  std::string colour;     // "#RRGGBB"; empty: grey
  bool key_only = false;  // a key entry with no line (e.g. "weights alone do not fit")
};

struct LineSeries {
  std::string title;
  std::size_t column = 0;   // 1-based CSV column holding y; column 1 holds x
  bool background = false;  // drawn thin and grey behind the others, with no key entry
  // Past a model's max_context: solid up to x = `solid_until` (the last point within it; 0 when
  // none is), dotted from there on, with one key entry saying what dotted means.
  std::optional<std::uint64_t> solid_until;
};

// The last of `contexts` (ascending) within `max_context`, 0 when none is; nullopt when every
// context is within it (or there is no max_context).
std::optional<std::uint64_t> solid_until(const std::vector<std::uint64_t>& contexts,
                                         std::optional<std::uint64_t> max_context);

// A labelled tick on a value axis (e.g. "1T" at 1e12).
struct AxisTick {
  std::string label;
  double value = 0;
};

// Lines with points over a log-2 context axis, one per series, plus reference lines.
struct LinePlot {
  std::string title;
  std::string subtitle;  // a second, smaller title line (conventions); may be empty
  std::string x_label;
  std::string y_label;
  std::vector<std::uint64_t> x_ticks;
  bool log_y = false;
  std::vector<AxisTick> y_ticks;                     // empty: gnuplot's own
  std::optional<std::pair<double, double>> y_range;  // default: [0:*], or [*:*] when log_y
  bool key_below = false;       // key under the axes (flat curves fill the top-left corner)
  bool key_outside = false;     // key right of the axes (many entries)
  std::size_t key_columns = 3;  // at most, with key_below
  std::vector<LineSeries> series;
  std::string background_title;  // the one key entry of the background series (e.g. "40 others")
  std::vector<HorizontalLine> lines;
};

// Memory vs context: total KV + state per architecture (`stacked`: one panel per architecture
// with state and KV stacked as filled areas), with optional capacity lines. Series whose totals
// are equal at every context are drawn once, titled "A = B", so none hides another.
struct MemoryPlotOptions {
  bool stacked = false;
  bool log_y = true;  // memory spans decades over a 1K..1M context axis; not with `stacked`
  // With more series than line styles (8), or when not empty: only these architectures (by
  // MemoryReport::name) are drawn in colour with a key entry, the rest thin and grey.
  std::vector<std::string> highlight;
  ByteUnit unit = ByteUnit::GiB;
  std::string title;
  std::vector<HorizontalLine> capacities;  // in `unit`, grey, in every panel
  // Lines that belong to one architecture (reports[index]), e.g. capacity minus its weights:
  // drawn in its series colour, or in its own panel with `stacked`; none for a grey series.
  std::vector<std::pair<std::size_t, HorizontalLine>> own_lines;
};

// `titles[i]` labels reports[i]; every report must have the same contexts.
FigureFiles memory_figure(const std::vector<MemoryReport>& reports,
                          const std::vector<std::string>& titles, const MemoryPlotOptions& options,
                          ImageFormat format, const std::string& csv_name,
                          const std::string& image_name);

// At most `count` architecture names spread over the range of totals at the largest context
// (smallest, largest and evenly between): the default highlight of a crowded memory figure.
std::vector<std::string> spread_highlights(const std::vector<MemoryReport>& reports,
                                           std::size_t count);

// Key titles for a design sweep: the base keeps its display name with " (base)", each variant
// ("<base display name> (knob=value, ...)") only its knobs, so no entry repeats the model name.
// Architectures that are neither keep their display names.
std::vector<std::string> sweep_titles(const std::vector<Architecture>& architectures);

// One strip per architecture, every layer in order, coloured by mixer layer kind (report/palette.h:
// light for fixed-size state, medium for windowed, dark for global attention, so it survives
// greyscale), each labelled with its ratio as papers write it. The key sits above the strips.
FigureFiles layers_figure(const std::vector<Architecture>& architectures, ImageFormat format,
                          const std::string& csv_name, const std::string& image_name);

// The generic line plot (exposed for the FLOPs/decode-time figures and tests).
std::string line_plot_script(const LinePlot& plot, ImageFormat format, const std::string& csv_name,
                             const std::string& image_name);

// A gnuplot single-quoted string literal ('it''s').
std::string gnuplot_quote(const std::string& text);

}  // namespace attnsim::report
