// The mixer kinds `attnsim oracle` runs, and the writing of their outputs.
#include <fmt/format.h>

#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/npy.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

Runner find_runner(const std::string& mixer) {
  static const std::vector<std::pair<std::string, Runner>> runners = {
      {"softmax_attn", &run_softmax_attn},
      {"mla", &run_mla},
      {"dsa", &run_dsa},
      {"gated_attn", &run_gated_attn},
      {"gated_deltanet", &run_gated_deltanet},
      {"kda", &run_kda},
      {"lightning", &run_lightning},
      {"mamba2_ssd", &run_mamba2},
      {"mamba2", &run_mamba2}};
  std::vector<std::string> names;
  for (const auto& [name, runner] : runners) {
    if (name == mixer) return runner;
    names.push_back(name);
  }
  throw UserError({}, "mixer", fmt::format("one of {}", fmt::join(names, ", ")), "'" + mixer + "'");
}

void write_outputs(const Outputs& outputs, const std::string& out_dir, Precision precision,
                   std::ostream& out) {
  std::filesystem::create_directories(out_dir);
  const NpyDType dtype = precision == Precision::float32 ? NpyDType::float32 : NpyDType::float64;
  for (const auto& [name, tensor] : outputs.floats) {
    write_npy((std::filesystem::path(out_dir) / (name + ".npy")).string(), tensor, dtype);
    out << fmt::format("wrote {}.npy {}\n", name, shape_string(tensor.shape));
  }
  for (const auto& [name, tensor] : outputs.ints) {
    write_npy((std::filesystem::path(out_dir) / (name + ".npy")).string(), tensor);
    out << fmt::format("wrote {}.npy {}\n", name, shape_string(tensor.shape));
  }
}

}  // namespace attnsim::oracle
