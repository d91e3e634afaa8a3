// Implementation of the shared options: declarations, readers and architecture loading.
#include "cli/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "config/reader.h"
#include "config/settings.h"
#include "core/error.h"
#include "graph/load.h"
#include "report/format.h"
#include "report/plot.h"

namespace attnsim::cli {

namespace fs = std::filesystem;

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
                  const po::options_description& options,
                  const std::vector<std::string>& examples) {
  std::ostringstream out;
  out << "Usage: attnsim " << command << " " << synopsis << "\n\n" << options;
  if (!examples.empty()) {
    out << "\nExamples:\n";
    for (const auto& example : examples) out << "  attnsim " << example << "\n";
  }
  return out.str();
}

void add_context_option(po::options_description& options, const std::string& default_value,
                        const std::string& what) {
  options.add_options()(
      "context,c", po::value<std::string>()->default_value(default_value),
      (what + ": a list (4k,128k,1M; k = 1024, M = 1024²) or a range lo:hi (every power of two "
              "from lo to hi)")
          .c_str());
  add_max_context_option(options);
}

void add_max_context_option(po::options_description& options) {
  options.add_options()("allow-beyond-max-context",
                        "no warning for contexts past a model's max_context");
}

void warn_beyond_max_context(const po::variables_map& vm,
                             const std::vector<Architecture>& architectures,
                             const std::vector<std::uint64_t>& contexts) {
  if (vm.count("allow-beyond-max-context") || contexts.empty()) return;
  const std::uint64_t longest = *std::max_element(contexts.begin(), contexts.end());
  for (const auto& architecture : architectures) {
    const auto& max = architecture.dims.max_context;
    if (!max || longest <= *max) continue;
    diagnostics() << fmt::format(
        "attnsim: warning: {}: contexts up to {} go past its max_context {} ({} tokens); those "
        "points extrapolate the model and are marked (* in tables, dotted in figures). "
        "--allow-beyond-max-context: no warning.\n",
        architecture.name, format_token_count(longest), format_token_count(*max),
        report::with_thousands(*max));
  }
}

void add_batch_option(po::options_description& options, const std::string& default_value) {
  if (default_value.empty())
    options.add_options()("batch,b", po::value<std::string>(), "sequences in the batch");
  else
    options.add_options()("batch,b", po::value<std::string>()->default_value(default_value),
                          "sequences in the batch");
}

void add_cache_dtype_options(po::options_description& options, bool conv) {
  const std::string names = fmt::format("{}", fmt::join(dtype_names(), ", "));
  options.add_options()(
      "kv-dtype", po::value<std::string>(),
      fmt::format("override the KV-cache dtype ({}; case-insensitive)", names).c_str())(
      "state-dtype", po::value<std::string>(), "override the recurrent-state dtype");
  if (conv)
    options.add_options()("conv-dtype", po::value<std::string>(), "override the conv-state dtype");
}

void add_weights_dtype_option(po::options_description& options) {
  options.add_options()("weights-dtype", po::value<std::string>(), "override the weights dtype");
}

void add_units_option(po::options_description& options) {
  options.add_options()(
      "units,u", po::value<std::string>()->default_value("GiB"),
      "GiB (2^30 bytes), GB (10^9), MiB, MB or bytes, case-insensitive (text and markdown; "
      "json is always exact integer bytes)");
}

void add_format_option(po::options_description& options,
                       const std::vector<report::OutputFormat>& formats) {
  std::vector<std::string> names;
  for (const auto format : formats) names.emplace_back(report::output_format_name(format));
  options.add_options()("format,f", po::value<std::string>()->default_value("text"),
                        fmt::format("{}", fmt::join(names, ", ")).c_str());
}

void add_hw_option(po::options_description& options, const std::string& default_value) {
  const char* help = "hardware preset (configs/hardware/<PRESET>.yaml) or a YAML file";
  if (default_value.empty())
    options.add_options()("hw", po::value<std::string>(), help);
  else
    options.add_options()("hw", po::value<std::string>()->default_value(default_value), help);
}

void add_hw_list_option(po::options_description& options) {
  options.add_options()("hw", po::value<std::vector<std::string>>(),
                        "hardware preset (configs/hardware/<PRESET>.yaml) or a YAML file "
                        "(repeatable)");
}

void add_tp_option(po::options_description& options) {
  options.add_options()("tp", po::value<std::string>()->default_value("1"),
                        "tensor-parallel ranks (weights and caches split across them)");
}

void add_engine_option(po::options_description& options) {
  options.add_options()(
      "engine,e", po::value<std::string>()->default_value("paper"),
      "paper (the architectural minimum) or an engine profile in configs/engines/ (vllm, sglang, "
      "llama.cpp, llama-server, transformers) or a YAML file: prints what the engine allocates "
      "beside the minimum");
}

void add_architecture_options(po::options_description& options) {
  options.add_options()(
      "set", po::value<std::vector<std::string>>(),
      "KEY.PATH=VALUE: change one value of the architecture after extends: (repeatable), e.g. "
      "--set mixers.attn.n_kv_heads=4");
}

std::vector<std::uint64_t> parse_context_spec(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return parse_token_list(text, "--context");
  const std::uint64_t lo = parse_token_count(text.substr(0, colon), "--context");
  const std::uint64_t hi = parse_token_count(text.substr(colon + 1), "--context");
  if (lo > hi)
    throw UserError({}, "--context", "a range lo:hi with lo <= hi", fmt::format("'{}'", text),
                    "e.g. 1k:1M");
  return report::powers_of_two_between(lo, hi);
}

std::vector<std::uint64_t> context_option(const po::variables_map& vm) {
  return parse_context_spec(vm["context"].as<std::string>());
}

namespace {
// A positive count of things that are not tokens (sequences, ranks), with its own wording.
std::uint64_t positive_count(const po::variables_map& vm, const std::string& name,
                             const std::string& expected) {
  const std::string text = vm[name].as<std::string>();
  try {
    return parse_token_count(text, "--" + name);
  } catch (const UserError&) {
    throw UserError({}, "--" + name, expected, fmt::format("'{}'", text),
                    "a whole number ≥ 1 (k = ×1024 is accepted)");
  }
}
}  // namespace

double number_option(const po::variables_map& vm, const std::string& name, bool (*accepts)(double),
                     const std::string& expected) {
  const std::string text = vm[name].as<std::string>();
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && accepts(value)) return value;
  } catch (const std::exception&) {
  }
  throw UserError({}, "--" + name, expected, fmt::format("'{}'", text));
}

std::uint64_t batch_option(const po::variables_map& vm) {
  return positive_count(vm, "batch", "a positive number of sequences");
}

std::uint64_t tp_option(const po::variables_map& vm) {
  return positive_count(vm, "tp", "a positive number of tensor-parallel ranks");
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

CacheDTypeOverrides cache_dtype_options(const po::variables_map& vm) {
  return {dtype_option(vm, "kv-dtype"), dtype_option(vm, "state-dtype"),
          vm.count("conv-dtype") ? dtype_option(vm, "conv-dtype") : std::nullopt};
}

ByteUnit unit_option(const po::variables_map& vm, std::optional<report::OutputFormat> format) {
  const std::string text = vm["units"].as<std::string>();
  const auto unit = parse_byte_unit(text);
  if (!unit)
    throw UserError({}, "--units", "GiB (2^30 bytes), GB (10^9), MiB, MB or bytes",
                    fmt::format("'{}'", text));
  if (format == report::OutputFormat::json && !vm["units"].defaulted())
    diagnostics() << fmt::format(
        "attnsim: note: --units {} does not apply to --format json, which gives exact integer "
        "bytes (its \"units\" key says so)\n",
        text);
  return *unit;
}

report::OutputFormat format_option(const po::variables_map& vm,
                                   const std::vector<report::OutputFormat>& formats) {
  const std::string text = vm["format"].as<std::string>();
  std::vector<std::string> names;
  for (const auto format : formats) names.emplace_back(report::output_format_name(format));
  const auto format = report::parse_output_format(text);
  if (!format || std::find(formats.begin(), formats.end(), *format) == formats.end())
    throw UserError({}, "--format", fmt::format("{}", fmt::join(names, ", ")),
                    fmt::format("'{}'", text), config::did_you_mean(text, names));
  return *format;
}

std::string hw_option(const po::variables_map& vm) {
  if (!vm.count("hw"))
    throw UserError({}, "--hw", "a hardware preset", "none",
                    "see configs/hardware/, e.g. --hw h100-sxm");
  return vm["hw"].as<std::string>();
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

std::string single_architecture_name(std::string_view command, const po::variables_map& vm) {
  if (!vm.count("architecture") || vm["architecture"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, std::string(command), "exactly one architecture name or file",
                    "none or several", "`attnsim list` shows the shipped names");
  return vm["architecture"].as<std::vector<std::string>>().front();
}

void print_warnings(const Architecture& architecture) {
  for (const auto& warning : architecture.warnings)
    diagnostics() << fmt::format("attnsim: warning: {}\n", warning);
}

namespace {
Architecture load_set(const po::variables_map& vm, const std::string& name) {
  if (!vm.count("set")) return load_architecture(name);
  const auto settings = vm["set"].as<std::vector<std::string>>();
  const fs::path file = resolve_architecture(name);
  config::Node document = config::apply_settings(load_resolved_document(file), settings);
  // The published facts under expect: describe the unchanged model.
  std::erase_if(document.entries, [](const config::Entry& entry) { return entry.key == "expect"; });
  const std::string suffix = fmt::format(" (--set {})", fmt::join(settings, ", "));
  Architecture architecture =
      build_architecture(document, file.stem().string() + suffix, file.string());
  architecture.display_name += suffix;
  return architecture;
}
}  // namespace

Architecture load_with_settings(const po::variables_map& vm, const std::string& name) {
  Architecture architecture = load_set(vm, name);
  print_warnings(architecture);
  return architecture;
}

std::vector<Architecture> load_architectures(std::string_view command,
                                             const po::variables_map& vm) {
  std::vector<Architecture> architectures;
  for (const auto& name : architecture_names(command, vm))
    architectures.push_back(load_with_settings(vm, name));
  return architectures;
}

void prepare_output(const fs::path& file) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
}

void report_written(const std::vector<fs::path>& files) {
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.string());
  diagnostics() << fmt::format("attnsim: wrote {}\n", fmt::join(names, ", "));
}

}  // namespace attnsim::cli
