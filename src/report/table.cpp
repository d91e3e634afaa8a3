// Rendering of tables. Widths count UTF-8 code points so that "×" and "·" align.
#include "report/table.h"

#include <algorithm>

#include "core/error.h"

namespace attnsim::report {

namespace {
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(const std::string& text, std::size_t width, Align align) {
  const std::string fill(width - std::min(width, display_width(text)), ' ');
  return align == Align::left ? text + fill : fill + text;
}

std::string render_text(const Table& table) {
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns) widths.push_back(display_width(column.header));
  for (const auto& row : table.rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += "  ";
      out += pad(cells[i], widths[i], header ? Align::left : table.columns[i].align);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::vector<std::string> headers;
  for (const auto& column : table.columns) headers.push_back(column.header);
  std::string out = line(headers, true);
  for (const auto& row : table.rows) out += line(row, false);
  return out;
}

std::string render_markdown(const Table& table) {
  std::string header = "|", rule = "|";
  for (const auto& column : table.columns) {
    header += " " + column.header + " |";
    rule += column.align == Align::left ? " --- |" : " ---: |";
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + cell + " |";
    out += "\n";
  }
  return out;
}

std::string render_csv(const Table& table) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\n";
  };
  std::vector<std::string> headers;
  for (const auto& column : table.columns) headers.push_back(column.header);
  line(headers);
  for (const auto& row : table.rows) line(row);
  return out;
}
}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void Table::add_row(std::vector<std::string> cells) {
  ATTNSIM_ASSERT(cells.size() == columns.size(), "a row has one cell per column");
  rows.push_back(std::move(cells));
}

std::string Table::render(TableFormat format) const {
  switch (format) {
    case TableFormat::text:
      return render_text(*this);
    case TableFormat::markdown:
      return render_markdown(*this);
    case TableFormat::csv:
      return render_csv(*this);
  }
  ATTNSIM_ASSERT(false, "unknown table format");
}

}  // namespace attnsim::report
