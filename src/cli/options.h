// Options shared by the subcommands, declared once: each shared option (context, batch, dtypes,
// units, format, hw, tp, engine, --set) has one name, one value syntax, one help text and one
// reader, so every command that takes it accepts the same values with the same messages.
#pragma once

#include <boost/program_options.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/units.h"
#include "cost/memory.h"
#include "cost/roofline.h"
#include "graph/architecture.h"
#include "report/format.h"

namespace attnsim::cli {

namespace po = boost::program_options;

// Parses `args` against `visible` options plus positional `positional_name` (may be empty).
// Throws UserError naming the subcommand on unknown or malformed options.
po::variables_map parse_options(std::string_view command, const CommandArgs& args,
                                const po::options_description& visible,
                                const std::string& positional_name = {});

// "Usage: attnsim <command> <synopsis>\n\n<options>\nExamples:\n  attnsim ...\n".
std::string usage(std::string_view command, std::string_view synopsis,
                  const po::options_description& options,
                  const std::vector<std::string>& examples = {});

// --- Declarations of the shared options ------------------------------------------------------
// --context/-c: a list (4k,128k,1M) or a range lo:hi (every power of two between, inclusive).
void add_context_option(po::options_description& options, const std::string& default_value,
                        const std::string& what = "context lengths");
// --batch/-b: sequences in the batch (default 1 unless `default_value` is empty: then optional).
void add_batch_option(po::options_description& options, const std::string& default_value = "1");
// --kv-dtype, --state-dtype and (with `conv`) --conv-dtype.
void add_cache_dtype_options(po::options_description& options, bool conv = true);
void add_weights_dtype_option(po::options_description& options);
// --units/-u: GiB, GB, MiB, MB or bytes (case-insensitive).
void add_units_option(po::options_description& options);
// --format/-f: the formats this command offers (text first).
void add_format_option(po::options_description& options,
                       const std::vector<report::OutputFormat>& formats);
// --hw: a hardware preset; with a default, or required (empty default), or repeatable.
void add_hw_option(po::options_description& options, const std::string& default_value);
void add_hw_list_option(po::options_description& options);
// --tp: tensor-parallel ranks (default 1).
void add_tp_option(po::options_description& options);
// --engine/-e: paper (the minimum) or an engine profile.
void add_engine_option(po::options_description& options);
// --set KEY.PATH=VALUE (repeatable), for commands that load architectures.
void add_architecture_options(po::options_description& options);

// --- Readers of the shared options -----------------------------------------------------------
std::vector<std::uint64_t> context_option(const po::variables_map& vm);

// --allow-beyond-max-context (add_context_option adds it too).
void add_max_context_option(po::options_description& options);
// One warning on diagnostics() per architecture asked about contexts past its max_context, unless
// --allow-beyond-max-context was given.
void warn_beyond_max_context(const po::variables_map& vm,
                             const std::vector<Architecture>& architectures,
                             const std::vector<std::uint64_t>& contexts);
std::uint64_t batch_option(const po::variables_map& vm);
// A decimal number option (--gpu-memory-utilization, --reserve, …): UserError naming --NAME and
// `expected` unless the whole text is a number that `accepts`.
double number_option(const po::variables_map& vm, const std::string& name, bool (*accepts)(double),
                     const std::string& expected);
std::uint64_t tp_option(const po::variables_map& vm);
std::optional<DType> dtype_option(const po::variables_map& vm, const std::string& name);
CacheDTypeOverrides cache_dtype_options(const po::variables_map& vm);
// --units; a note on diagnostics() when it was given explicitly but `format` ignores it.
ByteUnit unit_option(const po::variables_map& vm, std::optional<report::OutputFormat> format = {});
report::OutputFormat format_option(const po::variables_map& vm,
                                   const std::vector<report::OutputFormat>& formats);
std::string hw_option(const po::variables_map& vm);

// The formats most table commands offer.
inline const std::vector<report::OutputFormat> kAllFormats = {
    report::OutputFormat::text, report::OutputFormat::markdown, report::OutputFormat::csv,
    report::OutputFormat::json};

// "1k:1M" → every power of two from 1K to 1M; "4k,128k,1M" → those contexts.
std::vector<std::uint64_t> parse_context_spec(const std::string& text);

// The architectures named on the command line (positional `architecture`), plus every shipped
// file with --all; throws UserError naming `command` when there are none.
std::vector<std::string> architecture_names(std::string_view command, const po::variables_map& vm);
// Exactly one positional architecture (UserError naming `command` otherwise).
std::string single_architecture_name(std::string_view command, const po::variables_map& vm);

// --timing measured|spec (cost/roofline.h TimingModel).
TimingModel timing_option(const po::variables_map& vm);
inline constexpr const char* kTimingHelp =
    "measured (the preset's measured operation timings, where it has them) or spec (datasheet "
    "roofline)";
// Loads an architecture with the command's --set overrides applied.
Architecture load_with_settings(const po::variables_map& vm, const std::string& name);
// Prints an architecture's load warnings on stderr ("attnsim: warning: ...").
void print_warnings(const Architecture& architecture);
std::vector<Architecture> load_architectures(std::string_view command, const po::variables_map& vm);

// Creates the parent folder of an output file (so every -o behaves the same), and writes the
// "attnsim: wrote FILE" line on diagnostics().
void prepare_output(const std::filesystem::path& file);
void report_written(const std::vector<std::filesystem::path>& files);

}  // namespace attnsim::cli
