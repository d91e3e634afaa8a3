// `attnsim diff`: what differs, key by key, between two architectures (YAML files, shipped
// names or config.json files). Exit 0 when they build the same layer graph, 1 when they differ.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "graph/compare.h"
#include "graph/load.h"

namespace attnsim::cli {

int run_diff(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  const auto vm = parse_options("diff", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("diff", "A B   (architecture names, .yaml or config.json files)", options,
                 {"diff architectures/qwen3-next-80b-a3b.yaml path/to/config.json",
                  "diff llama-3-8b llama-3.1-8b"});
    return 0;
  }
  const auto names = vm.count("architecture") ? vm["architecture"].as<std::vector<std::string>>()
                                              : std::vector<std::string>{};
  if (names.size() != 2)
    throw UserError({}, "diff", "exactly two architectures", std::to_string(names.size()));
  const Architecture left = load_architecture(names[0]);
  const Architecture right = load_architecture(names[1]);
  print_warnings(left);
  print_warnings(right);
  const auto differences = compare_graphs(left, right);
  if (differences.empty()) {
    out << fmt::format("same layer graph: {} and {}\n", left.file, right.file);
    return 0;
  }
  for (const auto& difference : differences)
    out << format_difference(difference, left.file, right.file) << "\n";
  return 1;
}

}  // namespace attnsim::cli
