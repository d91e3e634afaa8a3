// Number formatting shared by every report: sizes in a labelled unit, percentages, counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/units.h"

namespace attnsim::report {

enum class OutputFormat { text, markdown, csv, json };
// Case-insensitive: text (table), markdown (md), csv, json.
std::optional<OutputFormat> parse_output_format(std::string_view text);
std::string_view output_format_name(OutputFormat format);

// "12.346" in GiB/GB/MiB/MB (three decimals), or "1,234,567" in bytes.
std::string format_size(std::uint64_t bytes, ByteUnit unit);
// "GiB (2^30 bytes)", "GB (10^9 bytes)", ...
std::string describe_unit(ByteUnit unit);
// 1234567 -> "1,234,567".
std::string with_thousands(std::uint64_t value);
// 0.75 -> "75.0%"; absent -> "n/a".
std::string format_percent(std::optional<double> fraction);

}  // namespace attnsim::report
