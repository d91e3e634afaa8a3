// The subcommand table and the dispatcher with attnsim's exit codes:
// 0 success, 2 a mistake in the user's input (message says where and what), 3 an internal error.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <ostream>

#include "cli/command.h"
#include "config/reader.h"
#include "core/error.h"

namespace attnsim::cli {

int run_list(const CommandArgs& args, std::ostream& out);
int run_layers(const CommandArgs& args, std::ostream& out);
int run_kv(const CommandArgs& args, std::ostream& out);
int run_validate(const CommandArgs& args, std::ostream& out);
int run_import_hf(const CommandArgs& args, std::ostream& out);
int run_diff(const CommandArgs& args, std::ostream& out);
int run_oracle(const CommandArgs& args, std::ostream& out);
int run_params(const CommandArgs& args, std::ostream& out);
int run_flops(const CommandArgs& args, std::ostream& out);
int run_roofline(const CommandArgs& args, std::ostream& out);
int run_fit(const CommandArgs& args, std::ostream& out);
int run_capacity(const CommandArgs& args, std::ostream& out);
int run_plot(const CommandArgs& args, std::ostream& out);
int run_compare(const CommandArgs& args, std::ostream& out);
int run_sweep(const CommandArgs& args, std::ostream& out);
int run_report(const CommandArgs& args, std::ostream& out);
int run_simulate(const CommandArgs& args, std::ostream& out);
int run_kinds(const CommandArgs& args, std::ostream& out);

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"list", "every shipped architecture: family, size, layer mix, unverified values", &run_list},
      {"layers", "the layer graph of an architecture, compact or in full", &run_layers},
      {"kv", "KV cache and recurrent state vs context and batch", &run_kv},
      {"validate", "check architecture files (schema, graph, published facts)", &run_validate},
      {"import-hf", "a Hugging Face config.json → an architecture file", &run_import_hf},
      {"diff", "what differs, key by key, between two architectures or configs", &run_diff},
      {"oracle", "run a reference mixer kernel on .npy inputs (a kernel oracle)", &run_oracle},
      {"params", "total and active parameters, broken down by component", &run_params},
      {"flops", "FLOPs of a prefill and of one decode step, by operation", &run_flops},
      {"roofline", "memory traffic, time and bound of decode and prefill on a GPU", &run_roofline},
      {"fit", "largest context (or batch) that fits weights + KV + state on a GPU", &run_fit},
      {"capacity", "KV tokens and concurrent requests per GPU, as vLLM reports them at start-up",
       &run_capacity},
      {"plot", "figures (memory vs context, layer strips) drawn with gnuplot, with CSV + script",
       &run_plot},
      {"compare", "architectures side by side: layer ratio, KV, state, params, saving",
       &run_compare},
      {"sweep", "vary knobs of a base architecture (ratio, window, kv heads, ...) and compare",
       &run_sweep},
      {"report", "regenerate reports/<name>/ (Markdown + HTML + figures) from configs/reports/",
       &run_report},
      {"simulate", "run a scaled-down random instance through every mixer core; check the model",
       &run_simulate},
      {"kinds", "the registered mixer kinds: fields (key, type, role, default), cache, forms",
       &run_kinds},
  };
  return table;
}

namespace {
std::string overview() {
  std::string text =
      "attnsim " ATTNSIM_VERSION
      " — cost model and reference executions for attention architectures\n\n"
      "Usage: attnsim <command> [options]   (attnsim <command> --help for its options)\n\n"
      "Commands:\n";
  for (const auto& command : commands())
    text += fmt::format("  {:<10} {}\n", command.name, command.summary);
  return text;
}

const Command& find_command(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& command : commands()) {
    if (command.name == name) return command;
    names.emplace_back(command.name);
  }
  throw UserError({}, "command", "an attnsim command", fmt::format("'{}'", name),
                  config::did_you_mean(name, names));
}
}  // namespace

namespace {
std::ostream* current_diagnostics = nullptr;

// Points diagnostics() at `err` for the lifetime of one run_cli call.
class DiagnosticsScope {
 public:
  explicit DiagnosticsScope(std::ostream& err) : previous_(current_diagnostics) {
    current_diagnostics = &err;
  }
  ~DiagnosticsScope() { current_diagnostics = previous_; }
  DiagnosticsScope(const DiagnosticsScope&) = delete;
  DiagnosticsScope& operator=(const DiagnosticsScope&) = delete;

 private:
  std::ostream* previous_;
};
}  // namespace

std::ostream& diagnostics() { return current_diagnostics ? *current_diagnostics : std::cerr; }

int run_cli(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  const DiagnosticsScope scope(err);
  try {
    if (args.empty()) {
      err << overview();
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << overview();
      return 0;
    }
    if (args[0] == "--version") {
      out << "attnsim " ATTNSIM_VERSION "\n";
      return 0;
    }
    const Command& command = find_command(args[0]);
    return command.run(CommandArgs(args.begin() + 1, args.end()), out);
  } catch (const UserError& error) {
    err << "attnsim: error: " << error.what() << "\n";
    return 2;
  } catch (const std::filesystem::filesystem_error& error) {
    err << "attnsim: error: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    err << "attnsim: " << error.what() << "\n";
    return 3;
  }
}

}  // namespace attnsim::cli
