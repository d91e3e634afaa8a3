// `attnsim kinds [KIND]`: the registered mixer kinds, or one kind's fields, cache and forms.
#include <fmt/format.h>

#include <ostream>

#include "cli/options.h"
#include "config/reader.h"
#include "report/kinds_report.h"

namespace attnsim::cli {

int run_kinds(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  add_format_option(options, kAllFormats);
  const auto vm = parse_options("kinds", args, options, "kind");
  if (vm.count("help")) {
    out << usage("kinds", "[KIND] [options]", options,
                 {"kinds", "kinds gated_deltanet", "kinds mla --format json"});
    return 0;
  }
  const auto format = format_option(vm, kAllFormats);
  if (!vm.count("kind")) {
    out << report::render_kind_list(format);
    return 0;
  }
  const auto names = vm["kind"].as<std::vector<std::string>>();
  for (const auto& name : names) {
    const MixerKind* kind = find_mixer_kind(name);
    if (kind == nullptr)
      throw UserError({}, "kinds", "a mixer kind", fmt::format("'{}'", name),
                      config::did_you_mean(name, mixer_kind_names()));
    out << report::render_kind(*kind, format);
  }
  return 0;
}

}  // namespace attnsim::cli
