// `attnsim layers`: an architecture's layer graph, compact by default or layer by layer.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "cli/options.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "report/layers_report.h"

namespace attnsim::cli {

int run_layers(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("full", "list every layer");
  add_format_option(options, {report::OutputFormat::text, report::OutputFormat::json});
  add_cache_dtype_options(options, true);
  add_architecture_options(options);
  const auto vm = parse_options("layers", args, options, "architecture");
  if (vm.count("help")) {
    out << usage("layers", "ARCHITECTURE|FILE [--full]", options,
                 {"layers qwen3-next-80b-a3b", "layers gemma-3-27b --full",
                  "layers path/to/config.json --full", "layers qwen3-next-80b-a3b --format json",
                  "layers llama-3-8b --full --kv-dtype nvfp4"});
    return 0;
  }
  const auto format = format_option(vm, {report::OutputFormat::text, report::OutputFormat::json});
  const Architecture architecture = load_with_settings(vm, single_architecture_name("layers", vm));
  const CacheDTypeOverrides overrides = cache_dtype_options(vm);
  const auto memory = layer_memory(architecture, overrides);
  if (format == report::OutputFormat::json) {
    out << report::render_layers_json(architecture, memory,
                                      apply_overrides(architecture.dtypes, overrides));
    return 0;
  }
  out << fmt::format("{} ({}, {}): {} layers\n", architecture.name, architecture.display_name,
                     architecture.params_label, architecture.layers.size());
  out << "  " << report::compact_layer_pattern(architecture) << "\n";
  out << "  layer kinds: " << report::format_layer_mix(count_layer_kinds(architecture)) << "\n";
  const auto sharing = std::count_if(architecture.layers.begin(), architecture.layers.end(),
                                     [](const Layer& layer) { return layer.weights_shared_from; });
  if (sharing > 0)
    out << fmt::format(
        "  {} of the {} layers run the weights of an earlier layer (`layers --full`)\n", sharing,
        architecture.layers.size());
  for (const std::string& line : report::kv_reuse_lines(architecture)) out << "  " << line << "\n";
  out << "\n";
  out << report::instances_table(architecture).render(report::TableFormat::text);
  if (vm.count("full"))
    out << "\n" << report::per_layer_table(architecture, memory).render(report::TableFormat::text);
  return 0;
}

}  // namespace attnsim::cli
