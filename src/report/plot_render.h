// Writing report files safely and drawing figures with gnuplot: every file goes to a temporary
// name in its own folder and is renamed into place, so no reader ever sees half a file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "report/plot.h"

namespace attnsim::report {

// Writes `text` to `file` atomically (core/atomic_file), creating missing parent folders. An
// unchanged file is left untouched (keeps its mtime), so regenerating a report touches only
// what changed.
void write_file_if_changed(const std::filesystem::path& file, const std::string& text);

// The gnuplot executable: $ATTNSIM_GNUPLOT if set (a path; empty or missing means "no
// gnuplot"), else `gnuplot` on $PATH. nullopt when there is none.
std::optional<std::filesystem::path> find_gnuplot();

// The shell command that installs gnuplot on Debian.
inline constexpr const char* kInstallGnuplot = "sudo apt-get install gnuplot-nox";

struct RenderedFigure {
  std::filesystem::path image;   // FILE.svg|png|pdf
  std::filesystem::path csv;     // FILE.svg.csv (the image's full name + .csv)
  std::filesystem::path script;  // FILE.svg.gp
  bool rendered = false;         // false: gnuplot is missing; data and script were written
};

// Writes IMAGE.csv and IMAGE.gp beside `image` (mem.svg → mem.svg.csv, mem.svg.gp: figures
// that differ only in format never overwrite each other's files), then runs gnuplot (in the image's
// folder, with a fixed environment) to draw `image`. Throws UserError if gnuplot fails (with its
// message).
RenderedFigure render_figure(const std::filesystem::path& image, const FigureFiles& files);

// The data file name of a figure at `image`: its file name + ".csv" (mem.svg → mem.svg.csv).
std::string csv_name_for(const std::filesystem::path& image);

}  // namespace attnsim::report
