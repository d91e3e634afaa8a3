// File writing and gnuplot invocation for figures and reports. gnuplot runs as a child process
// (fork/exec, no shell, so file names need no quoting) writing its image to a temporary file
// that core/atomic_file renames into place once gnuplot succeeds.
#include "report/plot_render.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/atomic_file.h"
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

// Everything readable from `fd` until its writers close it.
std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (got > 0)
      text.append(buffer, static_cast<std::size_t>(got));
    else if (errno != EINTR)
      break;
  }
  return text;
}

// Runs gnuplot on `script` in `folder`; returns its exit status and what it wrote to stderr
// (read through a pipe, so no scratch file is left behind).
std::pair<int, std::string> run_gnuplot(const fs::path& gnuplot, const fs::path& folder,
                                        const std::string& script, const std::string& outfile) {
  int errors[2];
  if (::pipe(errors) != 0) throw UserError("cannot start gnuplot: pipe failed");
  const pid_t child = ::fork();
  if (child < 0) throw UserError("cannot start gnuplot: fork failed");
  if (child == 0) {
    // Fixed environment: the same inputs give the same bytes (cairo honours
    // SOURCE_DATE_EPOCH in PDF metadata; no user gnuplotrc is read).
    ::setenv("SOURCE_DATE_EPOCH", "0", 1);
    ::setenv("LC_ALL", "C", 1);
    ::unsetenv("GNUPLOT_LIB");
    if (::chdir(folder.c_str()) != 0) ::_exit(127);
    if (::dup2(errors[1], STDERR_FILENO) < 0) ::_exit(127);
    ::close(errors[0]);
    ::close(errors[1]);
    const std::string define = fmt::format("outfile={}", gnuplot_quote(outfile));
    std::vector<const char*> argv{gnuplot.c_str(), "-d",           "-e",
                                  define.c_str(),  script.c_str(), nullptr};
    ::execv(gnuplot.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  ::close(errors[1]);
  std::string message = read_all(errors[0]);
  ::close(errors[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return {code, message};
}
// cairo before 1.17.2 (Debian 12 ships 1.16) stamps PDFs with the wall-clock time and ignores
// SOURCE_DATE_EPOCH. The stamp is overwritten in place with the epoch, keeping its length so
// the PDF's byte offsets (xref table) stay valid; then the same inputs give the same bytes.
void fix_pdf_creation_date(const fs::path& pdf) {
  static constexpr std::string_view kKey = "/CreationDate (D:";
  static constexpr std::string_view kEpoch = "19700101000000Z)";
  std::string bytes = read_file(pdf);
  const std::size_t at = bytes.find(kKey);
  if (at == std::string::npos) return;
  const std::size_t stamp = at + kKey.size();
  const bool is_stamp = bytes.size() >= stamp + kEpoch.size() &&
                        bytes.compare(stamp + 14, 2, "Z)") == 0 &&
                        std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(stamp),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(stamp + 14),
                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!is_stamp) return;
  bytes.replace(stamp, kEpoch.size(), kEpoch);
  std::ofstream out(pdf, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out.flush()) throw UserError(fmt::format("cannot write {}", pdf.string()));
}
}  // namespace

void write_file_if_changed(const fs::path& file, const std::string& text) {
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  if (fs::exists(file) && read_file(file) == text) return;
  write_file_atomically(file, text);
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

std::string csv_name_for(const fs::path& image) { return image.filename().string() + ".csv"; }

RenderedFigure render_figure(const fs::path& image, const FigureFiles& files) {
  RenderedFigure result;
  result.image = image;
  // The full image name, extension included: mem.svg and mem.png keep their own data and script.
  result.csv = fs::path(image) += ".csv";
  result.script = fs::path(image) += ".gp";
  write_file_if_changed(result.csv, files.csv);
  write_file_if_changed(result.script, files.script);
  const auto gnuplot = find_gnuplot();
  if (!gnuplot) return result;
  const fs::path folder = image.parent_path().empty() ? fs::path(".") : image.parent_path();
  produce_file_atomically(image, [&](const fs::path& temporary) {
    const auto [code, message] =
        run_gnuplot(fs::absolute(*gnuplot), fs::absolute(folder), result.script.filename().string(),
                    temporary.filename().string());
    if (code != 0)
      throw UserError(fmt::format("gnuplot failed on {} (exit {}):\n{}", result.script.string(),
                                  code, message));
    if (image.extension() == ".pdf" && fs::exists(temporary)) fix_pdf_creation_date(temporary);
  });
  result.rendered = true;
  return result;
}

}  // namespace attnsim::report
