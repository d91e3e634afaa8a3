// gnuplot scripts and CSV data for attnsim's figures. Every script sets its terminal, fonts,
// sizes and styles explicitly (no reliance on ~/.gnuplot), so the same inputs give the same
// bytes, and it reads its data from the CSV beside it.
#include "report/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "core/error.h"
#include "graph/ratio.h"
#include "report/palette.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
// Okabe–Ito colours (distinct for colour-blind readers), each with its own dash and point type
// so that series stay distinct in greyscale print.
constexpr const char* kLineColours[] = {"#000000", "#E69F00", "#0072B2", "#009E73",
                                        "#D55E00", "#56B4E9", "#CC79A7", "#7F7F7F"};
constexpr int kDashTypes[] = {1, 2, 3, 4, 5, 1, 2, 3};
constexpr int kPointTypes[] = {7, 5, 9, 13, 11, 6, 4, 8};
constexpr std::size_t kLineStyles = std::size(kLineColours);

constexpr const char* kNoMixerColour = "#EEEEEE";

constexpr int kWidthPx = 1000;

std::string terminal(ImageFormat format, int width_px, int height_px) {
  switch (format) {
    case ImageFormat::svg:
      return fmt::format(
          "set terminal svg size {},{} noenhanced font 'sans-serif,14' background rgb 'white'\n",
          width_px, height_px);
    case ImageFormat::png:
      return fmt::format(
          "set terminal pngcairo size {},{} noenhanced font 'sans-serif,11' background rgb "
          "'white'\n",
          width_px, height_px);
    case ImageFormat::pdf:
      // 100 px per inch keeps the proportions of the SVG; 9 pt type at that scale.
      return fmt::format(
          "set terminal pdfcairo size {:.2f}in,{:.2f}in noenhanced font "
          "'sans-serif,9'\n",
          width_px / 100.0, height_px / 100.0);
  }
  ATTNSIM_ASSERT(false, "every ImageFormat has a terminal");
}

std::string preamble(ImageFormat format, int width_px, int height_px, const std::string& csv_name,
                     const std::string& image_name) {
  std::string text = fmt::format("# Drawn by attnsim {}. Data: {}.\n", ATTNSIM_VERSION, csv_name);
  text += fmt::format("# Rerun with: gnuplot {}.gp\n", image_name);
  text += terminal(format, width_px, height_px);
  text += fmt::format("if (!exists('outfile')) outfile = {}\n", gnuplot_quote(image_name));
  text += "set output outfile\n";
  text += "set datafile separator comma\nset datafile columnheaders\n";
  return text;
}

std::string number(double value) { return fmt::format("{:.6f}", value); }

std::string xtics(const std::vector<std::uint64_t>& ticks) {
  std::vector<std::string> parts;
  for (const auto tick : ticks)
    parts.push_back(fmt::format("{} {}", gnuplot_quote(format_token_count(tick)), tick));
  return fmt::format("set xtics ({})\n", fmt::join(parts, ", "));
}

std::string line_styles() {
  std::string text;
  for (std::size_t i = 0; i < kLineStyles; ++i)
    text += fmt::format("set linetype {} lc rgb '{}' dt {} pt {} lw 2 ps 1.1\n", i + 1,
                        kLineColours[i], kDashTypes[i], kPointTypes[i]);
  return text;
}

// Capacity lines: grey, each with its own dash pattern so several stay apart.
std::string reference_line(const HorizontalLine& line, std::size_t index) {
  constexpr const char* kDashes[] = {"(10,6)", "(3,4)", "(16,4,3,4)", "(2,2)"};
  return fmt::format("{} title {} with lines lc rgb '{}' dt {} lw 1.5",
                     line.key_only ? "NaN" : number(line.y), gnuplot_quote(line.title),
                     line.colour.empty() ? "#555555" : line.colour,
                     kDashes[index % std::size(kDashes)]);
}

// Context axis settings shared by line and stacked plots.
std::string context_axis(const std::vector<std::uint64_t>& x_ticks, const std::string& x_label) {
  ATTNSIM_ASSERT(!x_ticks.empty(), "a context plot has at least one tick");
  std::string text = "set logscale x 2\n";
  // A little room on both sides so the end points are not on the border.
  text += fmt::format("set xrange [{}:{}]\n", number(x_ticks.front() / 1.2),
                      number(x_ticks.back() * 1.2));
  text += xtics(x_ticks);
  text += fmt::format("set xlabel {}\n", gnuplot_quote(x_label));
  text += "set grid xtics ytics lc rgb '#DDDDDD' lw 1 dt 1\nset border 3\nset tics nomirror\n";
  return text;
}
}  // namespace

std::string gnuplot_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  quoted += '\'';
  return quoted;
}

ImageFormat image_format_for(const std::filesystem::path& file, std::string_view what) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".svg") return ImageFormat::svg;
  if (extension == ".png") return ImageFormat::png;
  if (extension == ".pdf") return ImageFormat::pdf;
  throw UserError({}, std::string(what), "a file name ending in .svg, .png or .pdf",
                  fmt::format("'{}'", file.string()), "the extension picks the image format");
}

std::vector<std::uint64_t> powers_of_two_between(std::uint64_t lo, std::uint64_t hi) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t value = 1; value != 0 && value <= hi; value <<= 1)
    if (value >= lo) values.push_back(value);
  if (values.empty())
    throw UserError({}, "--context", "a range lo:hi holding at least one power of two",
                    fmt::format("{}:{}", lo, hi), "e.g. 1k:1M (1K, 2K, 4K, ..., 1M)");
  return values;
}

std::vector<std::uint64_t> context_ticks(const std::vector<std::uint64_t>& contexts) {
  if (contexts.size() <= 6) return contexts;
  std::vector<std::uint64_t> ticks;
  for (const auto context : contexts)
    if (ticks.empty() || context >= ticks.back() * 4) ticks.push_back(context);
  return ticks;
}

std::string line_plot_script(const LinePlot& plot, ImageFormat format, const std::string& csv_name,
                             const std::string& image_name) {
  std::size_t entries = plot.lines.size() + (plot.background_title.empty() ? 0 : 1);
  for (const auto& series : plot.series) entries += series.background ? 0 : 1;
  if (std::any_of(plot.series.begin(), plot.series.end(),
                  [](const LineSeries& series) { return series.solid_until.has_value(); }))
    ++entries;  // "dotted: past max_context"
  // More than 6 entries do not fit in a corner: below the axes (in two columns, which fit long
  // titles at SVG's type size), unless the plot asks for the key on the right.
  const bool below = plot.key_below || (entries > 6 && !plot.key_outside);
  const std::size_t columns =
      plot.key_below ? std::max<std::size_t>(plot.key_columns, 1) : std::size_t{2};
  const std::size_t key_rows = (entries + columns - 1) / columns;
  // A key below the axes grows the figure rather than squashing the axes.
  const int height = 620 + (below && key_rows > 3 ? 22 * static_cast<int>(key_rows - 3) : 0);
  std::string text = preamble(format, kWidthPx, height, csv_name, image_name);
  text += line_styles();
  if (!plot.subtitle.empty())
    text += fmt::format("set title {}.\"\\n\".{}\n", gnuplot_quote(plot.title),
                        gnuplot_quote(plot.subtitle));
  else if (!plot.title.empty())
    text += fmt::format("set title {}\n", gnuplot_quote(plot.title));
  text += context_axis(plot.x_ticks, plot.x_label);
  text += fmt::format("set ylabel {}\n", gnuplot_quote(plot.y_label));
  if (plot.log_y) text += "set logscale y 10\n";
  if (plot.y_range)
    text += fmt::format("set yrange [{}:{}]\n", plot.y_range->first, plot.y_range->second);
  else
    text += plot.log_y ? "set yrange [*:*]\n" : "set yrange [0:*]\n";
  if (!plot.y_ticks.empty()) {
    std::vector<std::string> ticks;
    for (const auto& tick : plot.y_ticks)
      ticks.push_back(fmt::format("{} {}", gnuplot_quote(tick.label), tick.value));
    text += fmt::format("set ytics ({})\n", fmt::join(ticks, ", "));
  }
  // Inside the empty top-left corner (the curves rise to the right); outside when crowded.
  if (below) {
    // gnuplot's automatic margin lets the x label touch the key; leave room for both.
    text += fmt::format(
        "set key outside bottom center horizontal maxcols {} Left reverse samplen 3\n", columns);
    text += fmt::format("set bmargin {}\n", 5 + key_rows);
  } else
    text += !plot.key_outside ? "set key top left Left reverse box opaque samplen 3 spacing 1.2\n"
                              : "set key outside right top Left reverse samplen 3 spacing 1.2\n";
  std::vector<std::string> clauses;
  // Background series first (underneath), one key entry for all of them.
  bool titled = false;
  for (const auto& series : plot.series) {
    if (!series.background) continue;
    const std::string title = titled || plot.background_title.empty()
                                  ? "notitle"
                                  : "title " + gnuplot_quote(plot.background_title);
    titled = true;
    clauses.push_back(fmt::format("{} using 1:{} {} with lines lc rgb '#BBBBBB' dt 1 lw 1",
                                  clauses.empty() ? gnuplot_quote(csv_name) : "''", series.column,
                                  title));
  }
  std::size_t style = 0;
  bool dotted = false;
  for (const auto& series : plot.series) {
    if (series.background) continue;
    const std::size_t lt = style++ % kLineStyles + 1;
    const std::string source = clauses.empty() ? gnuplot_quote(csv_name) : "''";
    if (!series.solid_until) {
      clauses.push_back(fmt::format("{} using 1:{} title {} with linespoints lt {}", source,
                                    series.column, gnuplot_quote(series.title), lt));
      continue;
    }
    const std::uint64_t until = *series.solid_until;
    clauses.push_back(
        fmt::format("{} using 1:($1 <= {} ? column({}) : NaN) title {} with "
                    "linespoints lt {}",
                    source, until, series.column, gnuplot_quote(series.title), lt));
    clauses.push_back(
        fmt::format("'' using 1:($1 >= {} ? column({}) : NaN) notitle with "
                    "linespoints lt {} dt 3 pt 6",
                    until, series.column, lt));
    dotted = true;
  }
  if (dotted)
    clauses.push_back(
        "NaN title 'dotted, open: past max_context' with linespoints lc rgb "
        "'#000000' dt 3 pt 6 lw 2");
  for (std::size_t i = 0; i < plot.lines.size(); ++i)
    clauses.push_back(reference_line(plot.lines[i], i));
  text += fmt::format("plot {}\n", fmt::join(clauses, ", \\\n     "));
  return text;
}

namespace {
// context_tokens, then KV, state and total per architecture, in the plot's unit.
std::string memory_csv(const std::vector<MemoryReport>& reports, ByteUnit unit) {
  const std::string u(byte_unit_name(unit));
  std::vector<std::string> header{"context_tokens"};
  for (const auto& report : reports)
    for (const char* part : {"KV", "state", "total"})
      header.push_back(csv_field(fmt::format("{} {} {}", report.name, part, u)));
  std::string text = fmt::format("{}\n", fmt::join(header, ","));
  for (std::size_t row = 0; row < reports.front().rows.size(); ++row) {
    text += std::to_string(reports.front().rows[row].context);
    for (const auto& report : reports) {
      const auto& values = report.rows[row];
      for (const auto bytes : {values.kv_bytes, values.state_bytes, values.total_bytes}) {
        text += ',';
        text += number(static_cast<double>(bytes) / bytes_in(unit));
      }
    }
    text += "\n";
  }
  return text;
}

// "0.04 GiB" with enough digits to tell a small band from zero.
std::string short_value(double value, ByteUnit unit) {
  return fmt::format("{:.{}f} {}", value,
                     value >= 10    ? 1
                     : value >= 0.1 ? 2
                                    : 3,
                     byte_unit_name(unit));
}

std::string stacked_memory_script(const std::vector<MemoryReport>& reports,
                                  const std::vector<std::string>& titles,
                                  const MemoryPlotOptions& options, const std::string& y_label,
                                  const std::vector<std::uint64_t>& ticks, ImageFormat format,
                                  const std::string& csv_name, const std::string& image_name) {
  // Capacity lines have long key entries: then one panel per row, the full width.
  const bool long_keys = !options.capacities.empty() || !options.own_lines.empty();
  const std::size_t columns = long_keys ? 1 : std::min<std::size_t>(reports.size(), 2);
  const std::size_t rows = (reports.size() + columns - 1) / columns;
  double y_max = 0;
  for (const auto& report : reports)
    for (const auto& row : report.rows)
      y_max = std::max(y_max, static_cast<double>(row.total_bytes) / bytes_in(options.unit));
  for (const auto& line : options.capacities) y_max = std::max(y_max, line.y);
  for (const auto& [index, line] : options.own_lines)
    if (!line.key_only) y_max = std::max(y_max, line.y);
  std::string text =
      preamble(format, kWidthPx, static_cast<int>(80 + 420 * rows), csv_name, image_name);
  text += context_axis(ticks, "context length (tokens)");
  text += fmt::format("set ylabel {}\n", gnuplot_quote(y_label));
  text += fmt::format("set yrange [0:{}]\n", number(y_max * 1.08));
  text += "set key top left Left reverse box opaque samplen 2\n";
  text += fmt::format("set multiplot layout {},{} title {}\n", rows, columns,
                      gnuplot_quote(options.title));
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const std::size_t kv = 2 + 3 * i;  // columns: KV, state, total
    const std::size_t state = kv + 1;
    const std::size_t total = kv + 2;
    std::uint64_t state_bytes = 0;
    for (const auto& row : reports[i].rows) state_bytes = std::max(state_bytes, row.state_bytes);
    text += fmt::format("set title {}\n", gnuplot_quote(titles[i]));
    // The model's max_context as a dotted vertical line: to its right the numbers extrapolate.
    const auto& max = reports[i].max_context;
    if (max && *max < ticks.back() * 1.2 && *max >= ticks.front())
      text += fmt::format(
          "set arrow 100 from {0},graph 0 to {0},graph 1 nohead lc rgb '#000000' dt 3 lw 1.5\n"
          "set label 100 {1} at {0},graph 0.6 {2}\n",
          *max, gnuplot_quote(fmt::format("max_context {}", format_token_count(*max))),
          // On the side with room: right of the line in the left half of the axis.
          std::log2(static_cast<double>(*max)) < (std::log2(static_cast<double>(ticks.front())) +
                                                  std::log2(static_cast<double>(ticks.back()))) /
                                                     2
              ? "left offset 0.6,0"
              : "right offset -0.6,0");
    else
      text += "unset arrow 100\nunset label 100\n";
    std::vector<std::string> clauses;
    // The state band is often a hair against the KV cache: its value goes in the key. A model
    // with no state has no state entry.
    if (state_bytes > 0)
      clauses.push_back(
          fmt::format("{} using 1:(0):{} title {} with filledcurves fc rgb '{}' fs solid 1.0",
                      gnuplot_quote(csv_name), state,
                      gnuplot_quote(fmt::format(
                          "recurrent + conv state: {}",
                          short_value(static_cast<double>(state_bytes) / bytes_in(options.unit),
                                      options.unit))),
                      kStateFill));
    clauses.push_back(
        fmt::format("{} using 1:{}:{} title 'KV cache' with filledcurves fc rgb "
                    "'{}' fs solid 1.0",
                    clauses.empty() ? gnuplot_quote(csv_name) : "''", state, total, kKvFill));
    clauses.push_back(
        fmt::format("'' using 1:{} notitle with lines lc rgb '#000000' lw 1.5", total));
    std::size_t c = 0;
    for (; c < options.capacities.size(); ++c)
      clauses.push_back(reference_line(options.capacities[c], c));
    for (const auto& [index, line] : options.own_lines)
      if (index == i) clauses.push_back(reference_line(line, c++));
    text += fmt::format("plot {}\n", fmt::join(clauses, ", \\\n     "));
  }
  text += "unset multiplot\n";
  return text;
}

bool same_totals(const MemoryReport& a, const MemoryReport& b) {
  for (std::size_t row = 0; row < a.rows.size(); ++row)
    if (a.rows[row].total_bytes != b.rows[row].total_bytes) return false;
  return true;
}
}  // namespace

std::optional<std::uint64_t> solid_until(const std::vector<std::uint64_t>& contexts,
                                         std::optional<std::uint64_t> max_context) {
  if (!max_context || contexts.empty() || contexts.back() <= *max_context) return std::nullopt;
  std::uint64_t last = 0;
  for (const auto context : contexts)
    if (context <= *max_context) last = context;
  return last;
}

std::vector<std::string> spread_highlights(const std::vector<MemoryReport>& reports,
                                           std::size_t count) {
  ATTNSIM_ASSERT(count >= 2, "a spread has both ends");
  std::vector<const MemoryReport*> sorted;
  for (const auto& report : reports) sorted.push_back(&report);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->rows.back().total_bytes < b->rows.back().total_bytes;
  });
  std::vector<std::string> names;
  const std::size_t n = std::min(count, sorted.size());
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t at = n == 1 ? 0 : k * (sorted.size() - 1) / (n - 1);
    names.push_back(sorted[at]->name);
  }
  return names;
}

std::vector<std::string> sweep_titles(const std::vector<Architecture>& architectures) {
  std::vector<std::string> titles;
  for (const auto& architecture : architectures) titles.push_back(architecture.display_name);
  for (const auto& base : architectures) {
    const std::string prefix = base.display_name + " (";
    bool has_variants = false;
    for (auto& title : titles)
      if (title.size() > prefix.size() && title.rfind(prefix, 0) == 0 && title.back() == ')') {
        title = title.substr(prefix.size(), title.size() - prefix.size() - 1);
        has_variants = true;
      }
    if (has_variants)
      for (std::size_t i = 0; i < architectures.size(); ++i)
        if (&architectures[i] == &base) titles[i] += " (base)";
  }
  return titles;
}

FigureFiles memory_figure(const std::vector<MemoryReport>& reports,
                          const std::vector<std::string>& titles, const MemoryPlotOptions& options,
                          ImageFormat format, const std::string& csv_name,
                          const std::string& image_name) {
  ATTNSIM_ASSERT(!reports.empty() && titles.size() == reports.size(),
                 "one title per memory report");
  std::vector<std::uint64_t> contexts;
  for (const auto& row : reports.front().rows) contexts.push_back(row.context);
  for (const auto& report : reports)
    ATTNSIM_ASSERT(report.rows.size() == contexts.size(), "every report has the same contexts");
  const std::string bytes_note = bytes_in(options.unit) == 1073741824.0 ? "2^30 bytes"
                                 : bytes_in(options.unit) == 1048576.0
                                     ? "2^20 bytes"
                                     : fmt::format("{:g} bytes", bytes_in(options.unit));
  const bool log_y = options.log_y && !options.stacked;
  const std::string y_label =
      fmt::format("KV cache + state ({} = {}{})", byte_unit_name(options.unit), bytes_note,
                  log_y ? ", log scale" : "");
  const auto ticks = context_ticks(contexts);
  FigureFiles files;
  files.csv = memory_csv(reports, options.unit);
  if (options.stacked) {
    files.script = stacked_memory_script(reports, titles, options, y_label, ticks, format, csv_name,
                                         image_name);
    return files;
  }
  LinePlot plot;
  plot.title = options.title;
  plot.x_label = "context length (tokens)";
  plot.y_label = y_label;
  plot.x_ticks = ticks;
  plot.log_y = log_y;
  plot.lines = options.capacities;
  const bool crowded = reports.size() > kLineStyles || !options.highlight.empty();
  const auto highlight = !options.highlight.empty() ? options.highlight
                         : crowded                  ? spread_highlights(reports, 6)
                                                    : std::vector<std::string>{};
  std::size_t background = 0;
  std::vector<std::size_t> drawn;                // report index of each colour series
  std::map<std::size_t, std::size_t> colour_of;  // report index → line style of its series
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const bool grey = crowded && std::find(highlight.begin(), highlight.end(), reports[i].name) ==
                                     highlight.end();
    if (grey) {
      plot.series.push_back({titles[i], 4 + 3 * i, true, std::nullopt});
      ++background;
      continue;
    }
    // A series equal to one already drawn would hide under it: one line, both names.
    const auto same = std::find_if(drawn.begin(), drawn.end(), [&](std::size_t j) {
      return same_totals(reports[i], reports[j]) &&
             reports[i].max_context == reports[j].max_context;
    });
    if (same != drawn.end()) {
      for (auto& series : plot.series)
        if (series.column == 4 + 3 * *same) series.title += " = " + titles[i];
      colour_of[i] = colour_of[*same];
      continue;
    }
    colour_of[i] = drawn.size() % kLineStyles;
    drawn.push_back(i);
    plot.series.push_back(
        {titles[i], 4 + 3 * i, false, solid_until(contexts, reports[i].max_context)});
  }
  for (const auto& [index, line] : options.own_lines) {
    if (!colour_of.count(index)) continue;  // a grey series has no lines of its own
    plot.lines.push_back(line);
    plot.lines.back().colour = kLineColours[colour_of[index]];
  }
  // Capacity lines run across the top, where the key would sit: the key goes below, one entry
  // per row (their titles are long).
  if (!options.own_lines.empty() && background == 0) {
    plot.key_below = true;
    plot.key_columns = 1;
  }
  if (background > 0) {
    plot.background_title = fmt::format("{} other models (grey)", background);
    plot.key_outside = true;
  }
  files.script = line_plot_script(plot, format, csv_name, image_name);
  return files;
}

namespace {
struct StripKind {
  std::string layer_kind;
  CacheGrowth growth;
  std::string colour;
  std::string title;
};

// Every mixer kind in the figure with its colour, cheap kinds first (legend order).
std::vector<StripKind> strip_kinds(const std::vector<Architecture>& architectures) {
  // A kind is as heavy as its heaviest layer (a layer reading a shared KV cache keeps none).
  std::map<std::string, CacheGrowth> heaviest;
  for (const auto& architecture : architectures)
    for (const auto& layer : architecture.layers)
      if (layer.mixer) {
        const CacheGrowth growth = cache_growth(*layer.mixer);
        const auto [it, inserted] = heaviest.try_emplace(layer.mixer->layer_kind(), growth);
        if (!inserted) it->second = std::max(it->second, growth);
      }
  std::map<std::pair<CacheGrowth, std::string>, bool> seen;
  for (const auto& [kind, growth] : heaviest) seen[{growth, kind}] = true;
  std::vector<StripKind> kinds;
  std::vector<std::string> taken;
  for (const auto& [key, unused] : seen) {
    taken.push_back(layer_kind_colour(key.second, key.first, taken));
    kinds.push_back({key.second, key.first, taken.back(), layer_kind_name(key.second, true)});
  }
  return kinds;
}

std::size_t kind_id(const std::vector<StripKind>& kinds, const Layer& layer) {
  if (!layer.mixer) return 0;
  const std::string kind = layer.mixer->layer_kind();
  for (std::size_t k = 0; k < kinds.size(); ++k)
    if (kinds[k].layer_kind == kind) return k + 1;
  ATTNSIM_ASSERT(false, "strip_kinds lists every layer kind");
}
}  // namespace

FigureFiles layers_figure(const std::vector<Architecture>& architectures, ImageFormat format,
                          const std::string& csv_name, const std::string& image_name) {
  ATTNSIM_ASSERT(!architectures.empty(), "at least one architecture to draw");
  const auto kinds = strip_kinds(architectures);
  bool any_ffn_only = false;
  std::size_t max_layers = 0;
  FigureFiles files;
  files.csv = "row,architecture,layer,mixer,layer_kind,kind_id\n";
  for (std::size_t row = 0; row < architectures.size(); ++row) {
    const auto& architecture = architectures[row];
    max_layers = std::max(max_layers, architecture.layers.size());
    for (const auto& layer : architecture.layers) {
      any_ffn_only = any_ffn_only || !layer.mixer;
      files.csv += fmt::format("{},{},{},{},{},{}\n", row, csv_field(architecture.name),
                               layer.index, csv_field(layer.mixer_name),
                               layer.mixer ? layer.mixer->layer_kind() : "", kind_id(kinds, layer));
    }
  }
  const std::size_t n = architectures.size();
  // Room for the key in two columns: gnuplot fits three in PNG but only two at the SVG's larger
  // type, and a key taller than its room would cover the first strip.
  const std::size_t legend_rows = (kinds.size() + (any_ffn_only ? 1 : 0) + 1) / 2;
  const int height = static_cast<int>(130 + 78 * n + 26 * legend_rows);
  std::string text = preamble(format, kWidthPx, height, csv_name, image_name);
  // The title as a label at a fixed place: with the plot's top margin set by hand, gnuplot would
  // put a `set title` right above the strips, under the key.
  text += fmt::format(
      "set label 1000 'Mixer of every layer, in order (dark: KV grows with context; light: "
      "fixed-size state)' at screen 0.5, screen {:.4f} center\n",
      1.0 - 20.0 / height);
  text += fmt::format("set xrange [-0.5:{}.5]\n", max_layers - 1);
  // Row r sits at y = -r with its ratio label below it at -r - 0.4.
  text += fmt::format("set yrange [-{}.75:0.5]\n", n - 1);
  const std::size_t step = max_layers <= 32 ? 4 : max_layers <= 64 ? 8 : 16;
  text += fmt::format("set xtics 0,{} out nomirror\nset mxtics {}\n", step, step);
  text += "set xlabel 'layer index (0 = first)'\nset border 1\n";
  std::vector<std::string> ytics;
  for (std::size_t row = 0; row < n; ++row) {
    const auto& architecture = architectures[row];
    const auto ratio = layer_ratio(architecture);
    std::string label = ratio.label();
    if (!ratio.cycle.empty()) label += fmt::format(" ({} layers)", ratio.counts());
    ytics.push_back(fmt::format("{} -{}", gnuplot_quote(architecture.display_name), row));
    text +=
        fmt::format("set label {} {} at -0.5,-{}.40 left\n", row + 1, gnuplot_quote(label), row);
  }
  text += fmt::format("set ytics ({}) scale 0 nomirror\n", fmt::join(ytics, ", "));
  // The key between the title and the strips: with dozens of models a key below the strips sits
  // thousands of pixels from the first one. Placed in pixels from the top (40 for the title,
  // 26 per key row), with the plot's top margin below it.
  const double key_top = 1.0 - 40.0 / height;
  const double plot_top = 1.0 - (52.0 + 26.0 * static_cast<double>(legend_rows)) / height;
  text += fmt::format(
      "set key at screen 0.5, screen {:.4f} center top horizontal maxrows {} Left reverse "
      "samplen 1.5 width 2 height 1\nset tmargin at screen {:.4f}\n",
      key_top, legend_rows, plot_top);
  text += "set style fill solid 1.0 border lc rgb 'white'\n";
  std::vector<std::string> clauses;
  for (std::size_t k = 0; k < kinds.size(); ++k)
    clauses.push_back(
        fmt::format("{} using 3:(column(6) == {} ? -column(1) : NaN):(0.5):(0.26) title {} with "
                    "boxxyerror fc rgb '{}'",
                    k == 0 ? gnuplot_quote(csv_name) : "''", k + 1, gnuplot_quote(kinds[k].title),
                    kinds[k].colour));
  if (any_ffn_only)
    clauses.push_back(fmt::format(
        "{} using 3:(column(6) == 0 ? -column(1) : NaN):(0.5):(0.26) title 'no mixer (FFN "
        "only)' with boxxyerror fc rgb '{}' fs solid 1.0 border lc rgb '#BBBBBB'",
        clauses.empty() ? gnuplot_quote(csv_name) : "''", kNoMixerColour));
  text += fmt::format("plot {}\n", fmt::join(clauses, ", \\\n     "));
  files.script = text;
  return files;
}

}  // namespace attnsim::report
