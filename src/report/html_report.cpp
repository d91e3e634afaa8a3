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
#include "graph/load.h"
#include "graph/sweep.h"
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

std::string table_html(const Table& table) {
  std::string out = "<table>\n<thead><tr>";
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
  return out + "</tbody>\n</table>\n";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f3f3f3}td.r{text-align:right}"
    "img{max-width:100%;height:auto;border:1px solid #eee}"
    "footer{color:#666;font-size:12px;margin-top:3em}";

struct Page {
  std::string markdown;
  std::string html;
};

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
    for (const char* extension : {".svg", ".csv", ".gp"}) written_.insert(stem + extension);
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
    for (const auto& kind : section.figures) {
      const std::string stem = fmt::format("s{}-{}", s + 1, kind);
      const std::string image = stem + ".svg";
      if (kind == "layers") {
        writer.figure(stem, layers_figure(architectures, ImageFormat::svg, stem + ".csv", image));
      } else if (kind == "flops") {
        writer.figure(stem, prefill_flops_figure(
                                architectures, section.flops_contexts, {},
                                fmt::format("{}: prefill FLOPs of one sequence", section.title),
                                ImageFormat::svg, stem + ".csv", image));
      } else if (kind == "decode") {
        DecodePlotOptions options;
        const Hardware hardware = load_hardware(section.hardware);
        options.title = fmt::format("{}: decode time per token ({})", section.title,
                                    hardware.measurements ? "measured time model" : "roofline");
        writer.figure(stem, decode_time_figure(architectures, section.flops_contexts, hardware,
                                               options, ImageFormat::svg, stem + ".csv", image));
      } else {
        std::vector<MemoryReport> reports;
        std::vector<std::string> titles;
        for (const auto& architecture : architectures) {
          reports.push_back(kv_memory(architecture, section.contexts, 1));
          titles.push_back(architecture.display_name);
        }
        MemoryPlotOptions options;
        options.stacked = kind == "memory_stacked";
        options.title = fmt::format("{}: KV cache + state vs context, batch 1", section.title);
        writer.figure(
            stem, memory_figure(reports, titles, options, ImageFormat::svg, stem + ".csv", image));
      }
      page.markdown += fmt::format("![{}]({})\n\n[data]({}.csv) · [gnuplot script]({}.gp)\n\n",
                                   section.title, image, stem, stem);
      page.html += fmt::format(
          "<figure><img src=\"{0}\" alt=\"{1}\"><figcaption><a href=\"{2}.csv\">data</a> · "
          "<a href=\"{2}.gp\">gnuplot script</a></figcaption></figure>\n",
          image, escape_html(section.title), stem);
    }
    if (section.compare_table) {
      std::vector<ComparisonRow> rows;
      for (const auto& architecture : architectures)
        rows.push_back(compare_architecture(architecture, section.table_contexts));
      const Table table = comparison_table(rows, ByteUnit::GiB);
      const std::string csv = fmt::format("s{}-table.csv", s + 1);
      writer.write(csv, table.render(TableFormat::csv));
      page.markdown += table.render(TableFormat::markdown);
      page.markdown += fmt::format("\nGiB = 2^30 bytes. [table as CSV]({})\n\n", csv);
      page.html += table_html(table);
      page.html +=
          fmt::format("<p>GiB = 2<sup>30</sup> bytes. <a href=\"{}\">table as CSV</a></p>\n", csv);
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
