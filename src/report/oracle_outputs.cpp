// Writing an oracle run's outputs as .npy files (core/npy.h writes each through the atomic writer).
#include "report/oracle_outputs.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/npy.h"

namespace attnsim::report {

void write_oracle_outputs(const oracle::Outputs& outputs, const std::string& out_dir,
                          Precision precision, std::ostream& out) {
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

}  // namespace attnsim::report
