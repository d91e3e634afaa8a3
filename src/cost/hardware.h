// Hardware presets (configs/hardware/*.yaml): peak dense FLOP/s per dtype, memory bandwidth and
// capacity of one accelerator, each file citing its datasheet.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/measurements.h"

namespace attnsim {

struct Hardware {
  std::string name;  // the file stem, e.g. "h100-sxm"
  std::string display_name;
  // Dense (no 2:4 sparsity) tensor peaks in FLOP/s by compute dtype name ("bf16", "fp8", ...).
  std::map<std::string, double> peak_flops_per_s;
  double memory_bandwidth_bytes_per_s = 0.0;  // from GB/s (10^9 bytes/s)
  std::uint64_t memory_capacity_bytes = 0;    // from GB (10^9 bytes)
  // NVIDIA compute capability × 10 (90 = Hopper 9.0, 100 = Blackwell 10.0); absent for other
  // vendors. Engine profiles key hardware-dependent defaults to it.
  std::optional<std::uint64_t> cuda_sm;
  std::vector<std::string> sources;
  std::vector<std::string> notes;
  std::vector<std::string> unverified;
  // Operation timings measured on this GPU (`measurements:` names a file relative to the preset);
  // absent: step times come from the datasheet roofline alone.
  std::optional<GpuMeasurements> measurements;

  // Throws UserError naming the known dtypes when the preset has no peak for `dtype`.
  double peak_for(const std::string& dtype) const;
};

std::vector<std::filesystem::path> list_hardware_files();
// A preset name ("h100-sxm") from configs/hardware/, or a path to a YAML file.
Hardware load_hardware(const std::string& name_or_path);

}  // namespace attnsim
