// Reading hardware presets through the key-tracking config readers (unknown keys rejected).
#include "cost/hardware.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/document.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/paths.h"

namespace attnsim {

namespace fs = std::filesystem;

namespace {
// Compute dtypes a preset may give peaks for (tf32 and fp4 have no storage dtype in attnsim).
const std::vector<std::string> kComputeDTypes{"fp64", "fp32", "tf32", "bf16", "fp16",
                                              "fp8",  "fp4",  "int8", "int4"};

fs::path hardware_dir() { return source_dir() / "configs" / "hardware"; }

double positive_number(config::MapReader& reader, std::string_view key) {
  const double value = reader.required_number(key);
  if (!(value > 0.0) || !std::isfinite(value))
    throw UserError(reader.require(key, "").where, reader.child_path(key), "a positive number",
                    fmt::format("{}", value));
  return value;
}

std::map<std::string, double> read_peaks(config::MapReader& parent) {
  const config::Node& node = parent.require("peak_dense_tflops", "a map of dtype: TFLOP/s");
  config::MapReader reader(node, parent.child_path("peak_dense_tflops"));
  std::map<std::string, double> peaks;
  for (const auto& entry : node.entries) {
    if (std::find(kComputeDTypes.begin(), kComputeDTypes.end(), entry.key) == kComputeDTypes.end())
      throw UserError(entry.key_where, reader.child_path(entry.key), "a compute dtype",
                      fmt::format("'{}'", entry.key),
                      config::did_you_mean(entry.key, kComputeDTypes));
    peaks[entry.key] = positive_number(reader, entry.key) * 1e12;
  }
  reader.finish();
  if (peaks.empty())
    throw UserError(node.where, reader.path(), "at least one dtype", "an empty map");
  return peaks;
}
}  // namespace

double Hardware::peak_for(const std::string& dtype) const {
  const auto found = peak_flops_per_s.find(dtype);
  if (found != peak_flops_per_s.end()) return found->second;
  std::string known;
  for (const auto& entry : peak_flops_per_s) {
    if (!known.empty()) known += ", ";
    known += entry.first;
  }
  throw UserError({}, "--compute-dtype", fmt::format("a dtype with a peak on {} ({})", name, known),
                  fmt::format("'{}'", dtype));
}

std::vector<fs::path> list_hardware_files() { return yaml_files_in(hardware_dir()); }

Hardware load_hardware(const std::string& name_or_path) {
  fs::path path = name_or_path;
  if (!fs::exists(path)) {
    path = hardware_dir() / (name_or_path + ".yaml");
    if (!fs::exists(path)) {
      std::vector<std::string> names;
      for (const auto& file : list_hardware_files()) names.push_back(file.stem().string());
      throw UserError({}, "--hw", "a hardware preset in configs/hardware/ or a YAML file",
                      fmt::format("'{}'", name_or_path), config::did_you_mean(name_or_path, names));
    }
  }
  const config::Node root = config::load_document(path, path.string());
  config::MapReader reader(root, "");
  Hardware hardware;
  hardware.name = path.stem().string();
  hardware.display_name = reader.required_string("display_name");
  hardware.peak_flops_per_s = read_peaks(reader);
  hardware.memory_bandwidth_bytes_per_s =
      positive_number(reader, "memory_bandwidth_gb_per_s") * 1e9;
  hardware.memory_capacity_bytes =
      static_cast<std::uint64_t>(positive_number(reader, "memory_capacity_gb") * 1e9);
  if (const auto capability = reader.optional_number("cuda_compute_capability")) {
    if (*capability < 1.0 || *capability >= 100.0)
      throw UserError(reader.require("cuda_compute_capability", "").where,
                      reader.child_path("cuda_compute_capability"),
                      "a CUDA compute capability such as 9.0", fmt::format("{}", *capability));
    hardware.cuda_sm = static_cast<std::uint64_t>(std::lround(*capability * 10.0));
  }
  hardware.sources = reader.optional_string_list("sources");
  hardware.notes = reader.optional_string_list("notes");
  hardware.unverified = reader.optional_string_list("unverified");
  if (const config::Node* file = reader.get("measurements")) {
    const std::string relative = config::as_string(*file, "measurements");
    const fs::path measured = path.parent_path() / relative;
    if (!fs::exists(measured))
      throw UserError(file->where, "measurements", "a measurement file beside the preset",
                      fmt::format("'{}' (no such file)", relative),
                      "tools/measure_gpu.py writes one");
    hardware.measurements = load_measurements(measured, measured.string());
    hardware.measurements->file = relative;  // as the preset names it, not this machine's path
  }
  reader.finish();
  if (hardware.sources.empty())
    throw UserError(root.where, "sources", "at least one source for the figures", "none");
  return hardware;
}

}  // namespace attnsim
