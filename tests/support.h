// Test helpers: a scratch folder for YAML files, and a minimal architecture document that tests
// extend with the mixers and layers they need.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/command.h"
#include "graph/architecture.h"

namespace attnsim::testing {

// A fresh folder under the system temp dir, removed with its files when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// A complete architecture file: the given `mixers:` block (YAML, indented by 2) and `layers:`
// block, with n_layers, bf16 caches, and `extra` top-level keys appended.
std::string architecture_yaml(const std::string& mixers, const std::string& layers, int n_layers,
                              const std::string& extra = "");

// Loads a YAML text as an architecture file named "test.yaml".
Architecture load_text(const std::string& yaml);

// The message of the UserError that loading `yaml` raises; the test fails if it loads.
std::string load_error(const std::string& yaml);

// Runs the CLI in-process.
struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};
CliResult run(const std::vector<std::string>& args);

}  // namespace attnsim::testing
