// The subcommand table of the attnsim CLI. Each subcommand lives in its own file in src/cli/,
// parses its own options with Boost.Program_options and hands results to src/report/.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace attnsim::cli {

using CommandArgs = std::vector<std::string>;
using CommandFunction = int (*)(const CommandArgs& args, std::ostream& out);

struct Command {
  std::string_view name;
  std::string_view summary;
  CommandFunction run;
};

// Every subcommand, in the order `attnsim --help` lists them.
const std::vector<Command>& commands();

// Where a command writes notes, warnings and "wrote FILE" lines: run_cli's `err` while a command
// runs (std::cerr otherwise), so that tests see them and stdout stays the command's output.
std::ostream& diagnostics();

// Runs `attnsim <args...>` in-process: dispatch, error reporting and exit codes
// (0 ok, 2 user error, 3 internal error). Messages go to `err`.
int run_cli(const CommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace attnsim::cli
