// `attnsim validate`: loads architecture files and checks them against their `expect:` facts.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "cost/claims.h"
#include "cost/expectations.h"
#include "graph/load.h"
#include "report/claims_report.h"
#include "report/layers_report.h"

namespace attnsim::cli {

int run_validate(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  const auto vm = parse_options("validate", args, options, "file");
  if (vm.count("help")) {
    out << usage("validate", "FILE... | --all", options,
                 {"validate path/to/my-arch.yaml", "validate --all",
                  "validate architectures/qwen3-next-80b-a3b.yaml path/to/config.json"});
    return 0;
  }
  std::vector<std::string> files;
  if (vm.count("file")) files = vm["file"].as<std::vector<std::string>>();
  if (vm.count("all"))
    for (const auto& file : list_architecture_files()) files.push_back(file.string());
  if (files.empty()) throw UserError({}, "validate", "at least one file or --all", "none");
  // Every file is checked and every mistake of each reported, before the command fails.
  ErrorCollector mistakes;
  std::vector<std::string> failures;
  for (const auto& file : files) {
    Architecture architecture;
    if (!mistakes.attempt([&] { architecture = load_architecture(file); })) continue;
    print_warnings(architecture);
    const auto mismatches = check_expectations(architecture);
    if (mismatches.empty()) {
      out << fmt::format("ok  {}: {} layers ({})\n", architecture.file, architecture.layers.size(),
                         report::format_layer_mix(count_layer_kinds(architecture)));
      // Claims from articles are information, not facts the file asserts: they never fail.
      out << report::claims_lines(check_claims(architecture));
      continue;
    }
    for (const auto& mismatch : mismatches)
      failures.push_back(fmt::format("{}: {}", architecture.file, mismatch));
  }
  if (!failures.empty())
    mistakes.add(
        UserError(fmt::format("published facts do not match:\n  {}", fmt::join(failures, "\n  "))));
  mistakes.throw_if_any();
  return 0;
}

}  // namespace attnsim::cli
