// `attnsim report`: regenerates reports/<name>/ from configs/reports/<name>.yaml (all of them by
// default), with a progress bar on a terminal and silence otherwise.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/options.h"
#include "cli/plot_options.h"
#include "config/reader.h"
#include "core/paths.h"
#include "report/html_report.h"

namespace attnsim::cli {

namespace fs = std::filesystem;

namespace {
// "[#######.............] 3/8 seed-overview" redrawn in place on stderr, only when it is a
// terminal (pipes and CI logs stay clean).
report::ProgressFunction progress_bar(const std::string& name) {
  if (!::isatty(STDERR_FILENO)) return {};
  return [name](std::size_t done, std::size_t total) {
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu %s%s", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), done, total, name.c_str(),
                 done == total ? "\n" : "");
    std::fflush(stderr);
  };
}
}  // namespace

int run_report(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "out", po::value<std::string>(), "output folder (default: the source tree's reports/)")(
      "list", "list the definitions");
  const auto vm = parse_options("report", args, options, "name");
  if (vm.count("help")) {
    out << usage("report", "[NAME...] [--out DIR]", options,
                 {"report", "report --list", "report hybrid-qwen --out /tmp/reports"});
    return 0;
  }
  const fs::path definitions = report::report_definitions_dir();
  std::vector<fs::path> files =
      fs::is_directory(definitions) ? yaml_files_in(definitions) : std::vector<fs::path>{};
  if (vm.count("list")) {
    for (const auto& file : files) out << file.stem().string() << "\n";
    return 0;
  }
  if (vm.count("name")) {
    std::vector<std::string> known;
    for (const auto& file : files) known.push_back(file.stem().string());
    std::vector<fs::path> chosen;
    for (const auto& name : vm["name"].as<std::vector<std::string>>()) {
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw UserError({}, "report", "a report definition in " + definitions.string(),
                        fmt::format("'{}'", name), config::did_you_mean(name, known));
      chosen.push_back(definitions / (name + ".yaml"));
    }
    files = chosen;
  }
  const fs::path root =
      vm.count("out") ? fs::path(vm["out"].as<std::string>()) : source_dir() / "reports";
  bool rendered = true;
  for (const auto& file : files) {
    const auto outcome = report::generate_report(file, root, progress_bar(file.stem().string()));
    rendered = rendered && outcome.figures_rendered;
    diagnostics() << fmt::format("attnsim: wrote {} ({} files)\n", outcome.folder.string(),
                                 outcome.files);
  }
  if (!rendered) {
    std::fprintf(stderr,
                 "attnsim: note: gnuplot is not installed, so the figures were not drawn (their "
                 "data and scripts were written). Install it with `%s`.\n",
                 report::kInstallGnuplot);
    return kExitNoGnuplot;
  }
  return 0;
}

}  // namespace attnsim::cli
