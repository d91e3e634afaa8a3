// Report generation: reads a definition, computes every section through the same library calls
// as the CLI commands, and writes the pages, figures, tables and resolved inputs.
#include "report/html_report.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "config/document.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/paths.h"
#include "cost/hardware.h"
#include "graph/claim_files.h"
#include "graph/load.h"
#include "graph/sweep.h"
#include "report/claims_report.h"
#include "report/compare.h"
#include "report/cost_plot.h"
#include "report/plot.h"
#include "report/plot_render.h"
#include "report/table.h"

namespace attnsim::report {

namespace fs = std::filesystem;

fs::path report_definitions_dir() {
  if (const char* configs = std::getenv("ATTNSIM_CONFIGS")) return fs::path(configs) / "reports";
  return source_dir() / "configs" / "reports";
}

namespace {
struct Section {
  std::string title;
  std::string text;
  std::vector<std::string> architectures;
  std::vector<std::pair<std::string, std::vector<KnobSetting>>> variants;
  std::vector<std::string> figures;
  bool compare_table = false;
  bool claims_table = false;  // the claims recorded in the section's architecture files
  std::vector<std::uint64_t> contexts;
  std::vector<std::uint64_t> table_contexts;
  std::vector<std::uint64_t> flops_contexts;  // prefill lengths / decode contexts
  std::string hardware = "h100-sxm";          // the preset of `decode` figures
};

struct Definition {
  std::string title;
  std::string intro;
  std::vector<Section> sections;
};

std::vector<std::uint64_t> contexts_value(const std::optional<std::string>& text,
                                          const std::string& fallback) {
  const std::string spec = text.value_or(fallback);
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return parse_token_list(spec, "contexts");
  return powers_of_two_between(parse_token_count(spec.substr(0, colon), "contexts"),
                               parse_token_count(spec.substr(colon + 1), "contexts"));
}

Section read_section(const config::Node& node, const std::string& path) {
  config::MapReader reader(node, path);
  Section section;
  section.title = reader.required_string("title");
  section.text = reader.optional_string("text").value_or("");
  if (const auto* list = reader.get("architectures")) {
    if (list->is_scalar() && list->scalar == "all") {
      for (const auto& file : list_architecture_files())
        section.architectures.push_back(file.stem().string());
    } else {
      section.architectures = config::MapReader(node, path).optional_string_list("architectures");
    }
  }
  if (const auto* variants = reader.get("variants")) {
    for (std::size_t i = 0; i < variants->items.size(); ++i) {
      config::MapReader variant(variants->items[i], fmt::format("{}.variants[{}]", path, i));
      const std::string base = variant.required_string("base");
      std::vector<KnobSetting> settings;
      const auto& set = variant.require("set", "a map of knob: value");
      for (const auto& entry : set.entries) {
        parse_vary(entry.key + "=" + entry.value.scalar);  // validates the knob name
        settings.push_back({entry.key, entry.value.scalar});
      }
      variant.finish();
      section.variants.push_back({base, settings});
    }
  }
  section.figures = reader.optional_string_list("figures");
  for (const auto& figure : section.figures)
    if (figure != "layers" && figure != "memory" && figure != "memory_stacked" &&
        figure != "flops" && figure != "decode")
      throw UserError(reader.require("figures", "").where, reader.child_path("figures"),
                      "layers, memory, memory_stacked, flops or decode",
                      fmt::format("'{}'", figure));
  if (const auto table = reader.optional_string("table")) {
    if (*table != "compare")
      throw UserError(reader.require("table", "").where, reader.child_path("table"), "compare",
                      fmt::format("'{}'", *table));
    section.compare_table = true;
  }
  section.claims_table = reader.optional_bool("claims", false);
  section.contexts = contexts_value(reader.optional_string("contexts"), "1k:1M");
  section.table_contexts = contexts_value(reader.optional_string("table_contexts"), "128k,1M");
  section.flops_contexts = contexts_value(reader.optional_string("flops_contexts"), "1k:256k");
  section.hardware = reader.optional_string("hardware").value_or(section.hardware);
  reader.finish();
  return section;
}

Definition read_definition(const fs::path& file) {
  const config::Node document =
      config::load_document(file, "configs/reports/" + file.filename().string());
  config::MapReader reader(document, "");
  Definition definition;
  definition.title = reader.required_string("title");
  definition.intro = reader.optional_string("intro").value_or("");
  const auto& sections = reader.require("sections", "a list of sections");
  for (std::size_t i = 0; i < sections.items.size(); ++i)
    definition.sections.push_back(read_section(sections.items[i], fmt::format("sections[{}]", i)));
  reader.finish();
  return definition;
}

// "gemma-3-27b[linear_ratio=1:1]" → "gemma-3-27b--linear_ratio-1to1": portable file names.
std::string file_safe(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == '[' || c == ',')
      out += "--";
    else if (c == '=')
      out += '-';
    else if (c == ':')
      out += "to";
    else if (c != ']')
      out += c;
  }
  return out;
}

// ---- resolved inputs as YAML ----
bool needs_quotes(const config::Node& node) {
  if (node.quoted || node.scalar.empty()) return true;
  if (node.scalar.front() == ' ' || node.scalar.back() == ' ') return true;
  return node.scalar.find_first_of(":#{}[],&*!|>'\"%@`\n") != std::string::npos;
}

std::string scalar_yaml(const config::Node& node) {
  if (!needs_quotes(node)) return node.scalar;
  std::string text = "\"";
  for (const char c : node.scalar) {
    if (c == '"' || c == '\\') text += '\\';
    if (c == '\n') {
      text += "\\n";
      continue;
    }
    text += c;
  }
  return text + "\"";
}

std::string flow_yaml(const config::Node& node) {
  if (node.is_scalar()) return scalar_yaml(node);
  if (node.kind == config::Node::Kind::null) return "null";
  std::vector<std::string> parts;
  if (node.is_sequence()) {
    for (const auto& item : node.items) parts.push_back(flow_yaml(item));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  }
  for (const auto& entry : node.entries)
    parts.push_back(fmt::format("{}: {}", entry.key, flow_yaml(entry.value)));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

// Maps in block style, sequences and anything inside them in flow style.
void block_yaml(const config::Node& map, int indent, std::string& out) {
  for (const auto& entry : map.entries) {
    out += std::string(static_cast<std::size_t>(indent), ' ');
    out += entry.key;
    out += ':';
    if (entry.value.is_map() && !entry.value.entries.empty()) {
      out += '\n';
      block_yaml(entry.value, indent + 2, out);
    } else {
      out += ' ';
      out += flow_yaml(entry.value);
      out += '\n';
    }
  }
}

// ---- HTML ----
std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Wrapped so that a wide table scrolls sideways on a narrow screen instead of squeezing names.
std::string table_html(const Table& table) {
  std::string out = "<div class=\"table\"><table>\n<thead><tr>";
  for (const auto& column : table.columns)
    out += fmt::format("<th>{}</th>", escape_html(column.header));
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c)
      out += fmt::format("<td class=\"{}\">{}</td>",
                         table.columns[c].align == Align::left ? "l" : "r", escape_html(row[c]));
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table></div>\n";
}

// Readable from phone width (~400 px: tables scroll inside their box, figures shrink) to a wide
// desktop (text column capped, tables as wide as their content; cells never wrap, headers may).
constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:1300px;margin:1.5em auto;padding:0 1em;color:#222;"
    "line-height:1.45}"
    "p{max-width:60em}"
    "div.table{overflow-x:auto;margin:1em 0}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 6px}"
    "td{white-space:nowrap}"
    "th{background:#f3f3f3;vertical-align:bottom;min-width:4em}"

    "td.r{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5em 0}"
    "img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:14px;color:#333;max-width:60em;margin-top:.4em}"
    "footer{color:#666;font-size:12px;margin-top:3em}"
    "@media (max-width:600px){body{padding:0 .5em}h1{font-size:1.5em}}";

struct Page {
  std::string markdown;
  std::string html;
};

// What a figure shows (alt text, for readers who cannot see it) and how to read it (caption:
// axes, units, conventions), written from the same inputs as the figure.
struct FigureText {
  std::string alt;
  std::string caption;
};

std::string name_list(const std::vector<std::string>& names) {
  if (names.size() <= 8) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{}, {} and {} more", names[0], names[1], names.size() - 2);
}

std::string context_span(const std::vector<std::uint64_t>& contexts) {
  return contexts.size() == 1 ? format_token_count(contexts.front())
                              : fmt::format("{} to {}", format_token_count(contexts.front()),
                                            format_token_count(contexts.back()));
}

FigureText layers_text(const std::vector<Architecture>& architectures) {
  std::vector<std::string> names;
  for (const auto& architecture : architectures) names.push_back(architecture.display_name);
  return {fmt::format("Layer strips of {}: one box per layer, coloured by mixer kind",
                      name_list(names)),
          "Every layer's mixer in order (layer 0 on the left), one strip per model, labelled "
          "with its layer ratio as papers write it. Each mixer kind has its own colour; fixed-size "
          "state kinds are light, windowed attention medium and attention whose KV cache grows "
          "with context dark, so the classes stay apart in greyscale. Grey outlined boxes: "
          "layers with no mixer (FFN only)."};
}

FigureText memory_text(const std::vector<std::string>& titles,
                       const std::vector<std::uint64_t>& contexts, bool stacked) {
  if (stacked)
    return {
        fmt::format("Stacked areas, one panel per model ({}): recurrent and conv state under "
                    "KV cache, in GiB, against context {}",
                    name_list(titles), context_span(contexts)),
        fmt::format("KV cache (dark) stacked on recurrent + conv state (light; its size in "
                    "the key) of one sequence, batch 1, each model's own cache dtypes, "
                    "against context length {} (log-2 axis); linear memory axis, GiB = "
                    "2^30 bytes. Windowed layers stop growing at their window; a dotted vertical "
                    "line marks a model's max_context.",
                    context_span(contexts))};
  return {fmt::format("Line plot of KV cache + state (GiB, log scale) against context {} for {}",
                      context_span(contexts), name_list(titles)),
          fmt::format("KV cache plus recurrent and conv state of one sequence (batch 1, each "
                      "model's own cache dtypes) against context length {}; both axes "
                      "logarithmic, GiB = 2^30 bytes. Windowed layers stop growing at their "
                      "window, fixed-size state does not grow. Models with equal totals share "
                      "one line (\"A = B\"); dotted segments with open points lie past a "
                      "model's max_context.",
                      context_span(contexts))};
}

FigureText flops_text(const std::vector<std::string>& titles,
                      const std::vector<std::uint64_t>& contexts) {
  return {fmt::format("Log-log line plot of prefill FLOPs against prompt length {} for {}",
                      context_span(contexts), name_list(titles)),
          fmt::format("FLOPs to prefill one sequence of T tokens ({}) from an empty cache, "
                      "log-log axes, ticks at powers of ten. Causal attention counts T(T+1)/2 "
                      "query-key pairs (masked pairs skipped, as FlashAttention does); linear "
                      "and SSM layers use their chunked algorithm (C = 64); projections, the "
                      "active FFN or experts and the lm head are included. Dotted segments: "
                      "past a model's max_context.",
                      context_span(contexts))};
}

FigureText decode_text(const std::vector<std::string>& titles,
                       const std::vector<std::uint64_t>& contexts, const Hardware& hardware) {
  return {
      fmt::format("Line plot of decode time per token (ms) against context {} on {} for {}",
                  context_span(contexts), hardware.display_name, name_list(titles)),
      fmt::format("Time of one decode step (one new token per sequence, batch 1, TP 1, "
                  "bf16 matmuls, each model's own weight and cache dtypes) against the context L "
                  "it attends "
                  "to ({}), on one {}, from {}. Weights need not fit in its memory. Dotted "
                  "segments: past a model's max_context.",
                  context_span(contexts), hardware.display_name,
                  hardware.measurements ? "the measured time model (kernels timed on the "
                                          "preset's GPU)"
                                        : "the roofline: max(FLOPs / peak, bytes / bandwidth)")};
}

class ReportWriter {
 public:
  ReportWriter(fs::path folder) : folder_(std::move(folder)) {}

  void write(const std::string& relative, const std::string& text) {
    write_file_if_changed(folder_ / relative, text);
    written_.insert(relative);
  }
  void figure(const std::string& stem, const FigureFiles& files) {
    const auto rendered = render_figure(folder_ / (stem + ".svg"), files);
    rendered_ = rendered_ && rendered.rendered;
    for (const char* extension : {".svg", ".svg.csv", ".svg.gp"}) written_.insert(stem + extension);
  }
  // Removes files of a previous run that this run did not write.
  void remove_stale() {
    if (!fs::exists(folder_)) return;
    std::vector<fs::path> stale;
    for (const auto& entry : fs::recursive_directory_iterator(folder_))
      if (entry.is_regular_file() &&
          !written_.count(fs::relative(entry.path(), folder_).generic_string()))
        stale.push_back(entry.path());
    for (const auto& file : stale) fs::remove(file);
  }
  std::size_t files() const { return written_.size(); }
  bool rendered() const { return rendered_; }

 private:
  fs::path folder_;
  std::set<std::string> written_;
  bool rendered_ = true;
};
}  // namespace

ReportOutcome generate_report(const fs::path& definition_file, const fs::path& output_root,
                              const ProgressFunction& progress) {
  const Definition definition = read_definition(definition_file);
  const std::string name = definition_file.stem().string();
  ReportWriter writer(output_root / name);
  std::map<std::string, config::Node> inputs;  // resolved documents by architecture name
  Page page;
  page.markdown = fmt::format("# {}\n\n", definition.title);
  page.html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n<h1>{0}</h1>\n",
      escape_html(definition.title), kStyle);
  if (!definition.intro.empty()) {
    page.markdown += definition.intro + "\n\n";
    page.html += fmt::format("<p>{}</p>\n", escape_html(definition.intro));
  }
  const std::size_t total = definition.sections.size();
  for (std::size_t s = 0; s < total; ++s) {
    if (progress) progress(s, total);
    const Section& section = definition.sections[s];
    std::vector<Architecture> architectures;
    for (const auto& model : section.architectures) {
      const auto file = resolve_architecture(model);
      architectures.push_back(load_architecture_file(file));
      inputs[architectures.back().name] = load_resolved_document(file);
    }
    for (const auto& [base, settings] : section.variants) {
      const auto file = resolve_architecture(base);
      const auto base_document = load_resolved_document(file);
      const auto base_architecture = load_architecture_file(file);
      architectures.push_back(derive_architecture(base_document, base_architecture, settings));
      inputs[architectures.back().name] =
          derived_document(base_document, base_architecture, settings);
    }
    page.markdown += fmt::format("## {}\n\n", section.title);
    page.html += fmt::format("<h2>{}</h2>\n", escape_html(section.title));
    if (!section.text.empty()) {
      page.markdown += section.text + "\n\n";
      page.html += fmt::format("<p>{}</p>\n", escape_html(section.text));
    }
    const auto titles = sweep_titles(architectures);
    for (const auto& kind : section.figures) {
      const std::string stem = fmt::format("s{}-{}", s + 1, kind);
      const std::string image = stem + ".svg";
      const std::string csv = image + ".csv";
      FigureText text;
      if (kind == "layers") {
        writer.figure(stem, layers_figure(architectures, ImageFormat::svg, csv, image));
        text = layers_text(architectures);
      } else if (kind == "flops") {
        writer.figure(stem, prefill_flops_figure(
                                architectures, section.flops_contexts, {},
                                fmt::format("{}: prefill FLOPs of one sequence", section.title),
                                ImageFormat::svg, csv, image));
        text = flops_text(titles, section.flops_contexts);
      } else if (kind == "decode") {
        DecodePlotOptions options;
        const Hardware hardware = load_hardware(section.hardware);
        options.title = fmt::format("{}: decode time per token ({})", section.title,
                                    hardware.measurements ? "measured time model" : "roofline");
        writer.figure(stem, decode_time_figure(architectures, section.flops_contexts, hardware,
                                               options, ImageFormat::svg, csv, image));
        text = decode_text(titles, section.flops_contexts, hardware);
      } else {
        std::vector<MemoryReport> reports;
        for (const auto& architecture : architectures)
          reports.push_back(kv_memory(architecture, section.contexts, 1));
        MemoryPlotOptions options;
        options.stacked = kind == "memory_stacked";
        options.title = fmt::format("{}: KV cache + state vs context, batch 1", section.title);
        writer.figure(stem, memory_figure(reports, titles, options, ImageFormat::svg, csv, image));
        text = memory_text(titles, section.contexts, options.stacked);
      }
      page.markdown += fmt::format("![{}]({})\n\n*{}* [data]({}) · [gnuplot script]({}.gp)\n\n",
                                   text.alt, image, text.caption, csv, image);
      page.html += fmt::format(
          "<figure><a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"></a><figcaption>{2} <a "
          "href=\"{3}\">data</a> · "
          "<a href=\"{0}.gp\">gnuplot script</a></figcaption></figure>\n",
          image, escape_html(text.alt), escape_html(text.caption), csv);
    }
    if (section.compare_table) {
      std::vector<ComparisonRow> rows;
      for (const auto& architecture : architectures)
        rows.push_back(compare_architecture(architecture, section.table_contexts));
      const Table table = comparison_table(rows, ByteUnit::GiB);
      const std::string csv = fmt::format("s{}-table.csv", s + 1);
      writer.write(csv, table.render(TableFormat::csv));
      page.markdown += table.render(TableFormat::markdown);
      page.markdown += fmt::format(
          "\nGiB = 2^30 bytes; * = past the model's max_context. [table as CSV]({})\n\n", csv);
      page.html += table_html(table);
      page.html += fmt::format(
          "<p>GiB = 2<sup>30</sup> bytes; * = past the model's max_context. <a "
          "href=\"{}\">table as CSV</a></p>\n",
          csv);
    }
    if (section.claims_table) {
      std::vector<std::pair<std::string, std::vector<ClaimCheck>>> checks;
      for (const auto& architecture : architectures) {
        Architecture with_files = architecture;
        with_files.claims = all_claims(architecture);
        if (!with_files.claims.empty())
          checks.emplace_back(architecture.name, check_claims(with_files));
      }
      const Table table = claims_table(checks);
      const std::string csv = fmt::format("s{}-claims.csv", s + 1);
      writer.write(csv, table.render(TableFormat::csv));
      const std::string note =
          "Claims made about these models in articles and cards (each file's claims: and the "
          "claims/ files), beside "
          "what attnsim computes for the same quantity; kv_saving is against the same model "
          "with full attention in every mixer layer (FFN-only layers stay as they are).";
      page.markdown += "**Claims checked.** " + note + "\n\n" + table.render(TableFormat::markdown);
      page.markdown += fmt::format("\n[claims as CSV]({})\n\n", csv);
      page.html += "<p><strong>Claims checked.</strong> " + escape_html(note) + "</p>\n";
      page.html += table_html(table);
      page.html += fmt::format("<p><a href=\"{}\">claims as CSV</a></p>\n", csv);
    }
  }
  page.markdown +=
      "## Inputs\n\nEvery architecture above, resolved (after `extends:` and sweep "
      "knobs):\n\n";
  page.html += "<h2>Inputs</h2>\n<ul>\n";
  for (const auto& [model, document] : inputs) {
    std::string yaml = fmt::format("# {} — resolved by attnsim {}\n", model, ATTNSIM_VERSION);
    block_yaml(document, 0, yaml);
    const std::string file = fmt::format("inputs/{}.yaml", file_safe(model));
    writer.write(file, yaml);
    page.markdown += fmt::format("- [{}]({})\n", model, file);
    page.html +=
        fmt::format("<li><a href=\"{0}\">{1}</a></li>\n", escape_html(file), escape_html(model));
  }
  const std::string footer =
      fmt::format("Generated by attnsim {} with `attnsim report` from configs/reports/{}.",
                  ATTNSIM_VERSION, definition_file.filename().string());
  page.markdown += fmt::format("\n---\n{}\n", footer);
  page.html += fmt::format("</ul>\n<footer>{}</footer>\n</body>\n</html>\n", escape_html(footer));
  writer.write("README.md", page.markdown);
  writer.write("index.html", page.html);
  writer.remove_stale();
  if (progress) progress(total, total);
  return {name, output_root / name, writer.files(), writer.rendered()};
}

}  // namespace attnsim::report
