// `attnsim simulate`: run a scaled-down random-weight instance of an architecture through every
// layer's mixer core and check the cost model against what the kernels measure.
#include "sim/simulate.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "report/simulate_report.h"

namespace attnsim::cli {

namespace {
std::uint64_t positive(const po::variables_map& vm, const char* name, std::uint64_t minimum) {
  const auto value = vm[name].as<std::int64_t>();
  if (value < static_cast<std::int64_t>(minimum))
    throw UserError({}, fmt::format("--{}", name), fmt::format("an integer ≥ {}", minimum),
                    std::to_string(value));
  return static_cast<std::uint64_t>(value);
}
}  // namespace

int run_simulate(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "scale-down", po::value<std::int64_t>()->default_value(8),
      "N: divide head counts and widths by N (GQA/GVA ratios and heads per group kept)")(
      "span-scale-down", po::value<std::int64_t>(),
      "S: divide windows, local chunks and DSA top-k by S (default N)")(
      "tokens", po::value<std::int64_t>()->default_value(17), "T: prefill tokens")(
      "decode", po::value<std::int64_t>()->default_value(3), "D: decode steps after the prefill")(
      "chunk", po::value<std::int64_t>()->default_value(8), "C of the chunked linear/SSM prefill")(
      "seed", po::value<std::int64_t>()->default_value(1), "random seed of inputs and weights");
  const auto vm = parse_options("simulate", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("simulate", "ARCHITECTURE|FILE [--scale-down N] [--tokens T] [--decode D]",
                 options,
                 {"simulate deepseek-v3.2 --scale-down 16 --tokens 17 --decode 3",
                  "simulate qwen3-next-80b-a3b --scale-down 8 --chunk 4 --seed 7"});
    return 0;
  }
  if (!vm.count("architecture") || vm["architecture"].as<std::vector<std::string>>().size() != 1)
    throw UserError({}, "simulate", "exactly one architecture name or file", "none or several");
  sim::SimulateOptions simulate;
  simulate.scale.dims = positive(vm, "scale-down", 1);
  simulate.scale.spans =
      vm.count("span-scale-down") ? positive(vm, "span-scale-down", 1) : simulate.scale.dims;
  simulate.tokens = static_cast<std::int64_t>(positive(vm, "tokens", 1));
  simulate.decode_steps = static_cast<std::int64_t>(positive(vm, "decode", 0));
  simulate.chunk = static_cast<std::int64_t>(positive(vm, "chunk", 1));
  simulate.seed = positive(vm, "seed", 0);
  const sim::SimulationReport report =
      sim::simulate(vm["architecture"].as<std::vector<std::string>>().front(), simulate);
  out << report::format_simulation(report);
  return report.all_ok() ? 0 : 1;
}

}  // namespace attnsim::cli
