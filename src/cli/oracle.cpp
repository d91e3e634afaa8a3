// `attnsim oracle`: runs a mixer's reference execution on a case folder (case.json + .npy
// inputs, mixers-spec §10) and writes its outputs as .npy files, for checking GPU kernels. The
// case runners are in oracle/.
#include "oracle/oracle.h"

#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "core/error.h"
#include "core/precision.h"
#include "report/oracle_outputs.h"

namespace attnsim::cli {

int run_oracle(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("output,o", po::value<std::string>(),
                                                    "folder for the output .npy files (created)")(
      "form", po::value<std::string>(), "algorithm form, e.g. chunked|recurrent, absorbed|naive")(
      "dtype", po::value<std::string>()->default_value("float64"),
      "arithmetic: float64 or float32")(
      "indexer-dtype", po::value<std::string>(),
      "a lightning indexer's arithmetic (dsa, compressed_attn): float64 or float32; default "
      "--dtype's. float64 makes a float32 run select exactly float64's keys");
  const auto vm = parse_options("oracle", args, options, "arguments");
  const std::string synopsis =
      "MIXER CASE_DIR -o OUT_DIR [--form NAME] [--dtype float32|float64] [--indexer-dtype "
      "float32|float64]";
  if (vm.count("help")) {
    out << usage("oracle", synopsis, options,
                 {"oracle gated_deltanet "
                  "../shared/reference/mixer-examples/gated_deltanet/B2_T7_h2_chunk4 -o out",
                  "oracle mla CASE_DIR -o out --form absorbed --dtype float32",
                  "oracle dsa CASE_DIR -o out --dtype float32 --indexer-dtype float64"});
    return 0;
  }
  const auto positional = vm.count("arguments") ? vm["arguments"].as<std::vector<std::string>>()
                                                : std::vector<std::string>{};
  if (positional.size() != 2)
    throw UserError({}, "oracle", "MIXER CASE_DIR", fmt::format("{} arguments", positional.size()));
  if (!vm.count("output")) throw UserError({}, "--output", "an output folder (-o OUT_DIR)", "none");
  oracle::Settings settings;
  if (vm.count("form")) settings.form = vm["form"].as<std::string>();
  settings.precision = precision_named("--dtype", vm["dtype"].as<std::string>());
  if (vm.count("indexer-dtype"))
    settings.indexer_precision =
        precision_named("--indexer-dtype", vm["indexer-dtype"].as<std::string>());
  const oracle::Runner runner = oracle::find_runner(positional[0]);
  const oracle::Outputs outputs = runner(oracle::CaseFile(positional[1]), settings);
  report::write_oracle_outputs(outputs, vm["output"].as<std::string>(), settings.precision, out);
  out << fmt::format("core FLOPs {} (measured), memory held {} elements\n",
                     total_flops(outputs.counts.flops()), outputs.memory_elements);
  return 0;
}

}  // namespace attnsim::cli
