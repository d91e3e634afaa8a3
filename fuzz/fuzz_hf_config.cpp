// libFuzzer target: config.json text → `import-hf` → architecture YAML, which must parse again.
// Any input must either import or throw UserError; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/document.h"
#include "core/error.h"
#include "fuzz/fuzz_support.h"
#include "import/importer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = attnsim::fuzz::write_input(data, size, ".json");
  std::string yaml;
  try {
    yaml = attnsim::import::import_hf(path);
  } catch (const attnsim::UserError&) {
    return 0;
  }
  // What import-hf writes must be a valid YAML document (quoting, escaping).
  try {
    attnsim::config::parse_document(yaml, "imported.yaml");
  } catch (const attnsim::UserError&) {
    std::abort();
  }
  return 0;
}
