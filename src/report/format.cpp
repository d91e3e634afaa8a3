// Implementation of the shared number formats.
#include "report/format.h"

#include <fmt/format.h>

#include <cctype>

namespace attnsim::report {

std::string_view output_format_name(OutputFormat format) {
  switch (format) {
    case OutputFormat::text:
      return "text";
    case OutputFormat::markdown:
      return "markdown";
    case OutputFormat::csv:
      return "csv";
    case OutputFormat::json:
      return "json";
  }
  return "text";
}

std::optional<OutputFormat> parse_output_format(std::string_view original) {
  std::string text(original);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "text" || text == "table") return OutputFormat::text;
  if (text == "markdown" || text == "md") return OutputFormat::markdown;
  if (text == "csv") return OutputFormat::csv;
  if (text == "json") return OutputFormat::json;
  return std::nullopt;
}

std::string with_thousands(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string format_size(std::uint64_t bytes, ByteUnit unit) {
  if (unit == ByteUnit::bytes) return with_thousands(bytes);
  return fmt::format("{:.3f}", static_cast<double>(bytes) / bytes_in(unit));
}

std::string describe_unit(ByteUnit unit) {
  switch (unit) {
    case ByteUnit::GiB:
      return "GiB (2^30 bytes)";
    case ByteUnit::GB:
      return "GB (10^9 bytes)";
    case ByteUnit::MiB:
      return "MiB (2^20 bytes)";
    case ByteUnit::MB:
      return "MB (10^6 bytes)";
    case ByteUnit::bytes:
      return "bytes";
  }
  return "?";
}

std::string format_percent(std::optional<double> fraction) {
  if (!fraction) return "n/a";
  return fmt::format("{:.1f}%", *fraction * 100.0);
}

}  // namespace attnsim::report
