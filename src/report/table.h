// A plain table of text cells and its renderings: aligned text for terminals, Markdown, CSV.
#pragma once

#include <string>
#include <vector>

namespace attnsim::report {

enum class Align { left, right };
enum class TableFormat { text, markdown, csv };

struct Column {
  std::string header;
  Align align = Align::right;
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;

  void add_row(std::vector<std::string> cells);
  std::string render(TableFormat format) const;
};

// Quotes a CSV field when it holds a comma, quote or newline (RFC 4180).
std::string csv_field(const std::string& text);

}  // namespace attnsim::report
