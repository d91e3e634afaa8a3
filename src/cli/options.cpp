// Implementation of the shared option helpers.
#include "cli/options.h"

#include <fmt/format.h>

#include <sstream>

#include "config/reader.h"
#include "core/error.h"
#include "graph/load.h"

namespace attnsim::cli {

po::variables_map parse_options(std::string_view command, const CommandArgs& args,
                                const po::options_description& visible,
                                const std::string& positional_name) {
  po::options_description all;
  all.add(visible);
  po::positional_options_description positional;
  if (!positional_name.empty()) {
    all.add_options()(positional_name.c_str(), po::value<std::vector<std::string>>(), "");
    positional.add(positional_name.c_str(), -1);
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& error) {
    throw UserError(
        fmt::format("attnsim {}: {} (see 'attnsim {} --help')", command, error.what(), command));
  }
  return vm;
}

std::string usage(std::string_view command, std::string_view synopsis,
                  const po::options_description& options) {
  std::ostringstream out;
  out << "Usage: attnsim " << command << " " << synopsis << "\n\n" << options;
  return out.str();
}

std::vector<std::string> architecture_names(std::string_view command, const po::variables_map& vm) {
  std::vector<std::string> names;
  if (vm.count("architecture")) names = vm["architecture"].as<std::vector<std::string>>();
  if (vm.count("all"))
    for (const auto& file : list_architecture_files()) names.push_back(file.string());
  if (names.empty())
    throw UserError({}, std::string(command), "at least one architecture name or --all", "none",
                    "`attnsim list` shows the shipped names");
  return names;
}

TimingModel timing_option(const po::variables_map& vm) {
  const std::string timing = vm["timing"].as<std::string>();
  if (timing != "measured" && timing != "spec")
    throw UserError({}, "--timing", "measured or spec", fmt::format("'{}'", timing));
  return timing == "spec" ? TimingModel::spec : TimingModel::measured;
}

std::optional<DType> dtype_option(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return std::nullopt;
  const std::string text = vm[name].as<std::string>();
  const auto dtype = parse_dtype(text);
  if (!dtype)
    throw UserError({}, "--" + name, "a dtype", fmt::format("'{}'", text),
                    config::did_you_mean(text, dtype_names()));
  return dtype;
}

ByteUnit unit_option(const po::variables_map& vm, const std::string& name) {
  const std::string text = vm[name].as<std::string>();
  const auto unit = parse_byte_unit(text);
  if (!unit)
    throw UserError({}, "--" + name, "GiB (2^30 bytes), GB (10^9), MiB, MB or bytes",
                    fmt::format("'{}'", text));
  return *unit;
}

report::OutputFormat format_option(const po::variables_map& vm, const std::string& name) {
  const std::string text = vm[name].as<std::string>();
  const auto format = report::parse_output_format(text);
  if (!format)
    throw UserError({}, "--" + name, "text, markdown, csv or json", fmt::format("'{}'", text));
  return *format;
}

}  // namespace attnsim::cli
