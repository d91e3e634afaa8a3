// File writing and gnuplot invocation for figures and reports. gnuplot runs as a child process
// (fork/exec, no shell, so file names need no quoting) with its output going to a temporary
// file that is renamed once gnuplot succeeds.
#include "report/plot_render.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace attnsim::report {

namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A name in the same folder (so rename is atomic) that no other writer uses.
fs::path temporary_for(const fs::path& file) {
  static unsigned counter = 0;
  return file.parent_path() /
         fmt::format(".{}.tmp-{}-{}", file.filename().string(), ::getpid(), counter++);
}

void rename_into_place(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  if (error) {
    fs::remove(from, error);
    throw UserError(fmt::format("cannot write {}: rename failed", to.string()));
  }
}

// Runs gnuplot on `script` in `folder`; returns its exit status and stderr text.
std::pair<int, std::string> run_gnuplot(const fs::path& gnuplot, const fs::path& folder,
                                        const std::string& script, const std::string& outfile) {
  const fs::path errors = temporary_for(folder / "gnuplot.err");
  const pid_t child = ::fork();
  if (child < 0) throw UserError("cannot start gnuplot: fork failed");
  if (child == 0) {
    // Fixed environment: the same inputs give the same bytes (cairo honours
    // SOURCE_DATE_EPOCH in PDF metadata; no user gnuplotrc is read).
    ::setenv("SOURCE_DATE_EPOCH", "0", 1);
    ::setenv("LC_ALL", "C", 1);
    ::unsetenv("GNUPLOT_LIB");
    if (::chdir(folder.c_str()) != 0) ::_exit(127);
    if (!std::freopen(errors.c_str(), "w", stderr)) ::_exit(127);
    const std::string define = fmt::format("outfile={}", gnuplot_quote(outfile));
    std::vector<const char*> argv{gnuplot.c_str(), "-d",           "-e",
                                  define.c_str(),  script.c_str(), nullptr};
    ::execv(gnuplot.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  std::string message = read_file(errors);
  std::error_code ignored;
  fs::remove(errors, ignored);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return {code, message};
}
}  // namespace

void write_file_atomic(const fs::path& file, const std::string& text) {
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  if (fs::exists(file) && read_file(file) == text) return;
  const fs::path temporary = temporary_for(file);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw UserError(fmt::format("cannot write {}", file.string()));
    }
  }
  rename_into_place(temporary, file);
}

std::optional<fs::path> find_gnuplot() {
  if (const char* forced = std::getenv("ATTNSIM_GNUPLOT")) {
    if (*forced == '\0' || ::access(forced, X_OK) != 0) return std::nullopt;
    return fs::path(forced);
  }
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "/usr/bin:/bin");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const fs::path candidate = fs::path(folder.empty() ? "." : folder) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string csv_name_for(const fs::path& image) { return image.stem().string() + ".csv"; }

RenderedFigure render_figure(const fs::path& image, const FigureFiles& files) {
  RenderedFigure result;
  result.image = image;
  result.csv = fs::path(image).replace_extension(".csv");
  result.script = fs::path(image).replace_extension(".gp");
  write_file_atomic(result.csv, files.csv);
  write_file_atomic(result.script, files.script);
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) return result;
  const fs::path folder = image.parent_path().empty() ? fs::path(".") : image.parent_path();
  const fs::path temporary = temporary_for(image);
  const auto [code, message] =
      run_gnuplot(fs::absolute(*gnuplot), fs::absolute(folder), result.script.filename().string(),
                  temporary.filename().string());
  std::error_code ignored;
  if (code != 0 || !fs::exists(temporary)) {
    fs::remove(temporary, ignored);
    throw UserError(
        fmt::format("gnuplot failed on {} (exit {}):\n{}", result.script.string(), code, message));
  }
  // An identical image is left alone, like every other output file.
  if (fs::exists(image) && read_file(image) == read_file(temporary)) {
    fs::remove(temporary, ignored);
  } else {
    rename_into_place(temporary, image);
  }
  result.rendered = true;
  return result;
}

}  // namespace attnsim::report
