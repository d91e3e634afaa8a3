// Helpers shared by the subcommands: Boost.Program_options parsing with attnsim's error
// conventions, and conversions of option values (dtypes, units, formats, contexts).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/units.h"
#include "cost/roofline.h"
#include "report/format.h"

namespace attnsim::cli {

namespace po = boost::program_options;

// Parses `args` against `visible` options plus positional `positional_name` (may be empty).
// Throws UserError naming the subcommand on unknown or malformed options.
po::variables_map parse_options(std::string_view command, const CommandArgs& args,
                                const po::options_description& visible,
                                const std::string& positional_name = {});

// "Usage: attnsim <command> <synopsis>\n\n<summary>\n\n<options>".
std::string usage(std::string_view command, std::string_view synopsis,
                  const po::options_description& options);

// The architectures named on the command line (positional `architecture`), plus every shipped
// file with --all; throws UserError naming `command` when there are none.
std::vector<std::string> architecture_names(std::string_view command, const po::variables_map& vm);

std::optional<DType> dtype_option(const po::variables_map& vm, const std::string& name);
// --timing measured|spec (cost/roofline.h TimingModel).
TimingModel timing_option(const po::variables_map& vm);
inline constexpr const char* kTimingHelp =
    "measured (the preset's measured operation timings, where it has them) or spec (datasheet "
    "roofline)";
ByteUnit unit_option(const po::variables_map& vm, const std::string& name);
report::OutputFormat format_option(const po::variables_map& vm, const std::string& name);

}  // namespace attnsim::cli
