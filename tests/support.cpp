// Implementation of the test helpers.
#include "tests/support.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "graph/load.h"

namespace attnsim::testing {

ScratchDir::ScratchDir() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          fmt::format("attnsim-test-{:016x}", std::uint64_t{device()} << 32 | device());
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path ScratchDir::write(const std::string& name, const std::string& text) const {
  const auto file = path_ / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

std::string architecture_yaml(const std::string& mixers, const std::string& layers, int n_layers,
                              const std::string& extra) {
  return fmt::format(R"(display_name: Test
family: Test
params_label: 1B
source:
  references: [hand-written test model]
model:
  d_model: 512
  vocab_size: 1000
  n_layers: {}
  tied_embeddings: false
dtypes:
  weights: bf16
  kv_cache: bf16
  recurrent_state: fp32
  conv_state: bf16
mixers:
{}
layers:
{}
{})",
                     n_layers, mixers, layers, extra);
}

Architecture load_text(const std::string& yaml) {
  ScratchDir dir;
  return load_architecture_file(dir.write("test.yaml", yaml));
}

std::string load_error(const std::string& yaml) {
  try {
    load_text(yaml);
  } catch (const UserError& error) {
    return error.what();
  }
  FAIL("the file loaded");
  return "";
}

CliResult run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = cli::run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace attnsim::testing
