// libFuzzer target: YAML text → located document → Architecture. Any input must either load or
// throw UserError; a crash, hang, sanitizer report or other exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/document.h"
#include "core/error.h"
#include "graph/load.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const attnsim::config::Node document = attnsim::config::parse_document(text, "fuzz.yaml");
    attnsim::build_architecture(document, "fuzz", "fuzz.yaml");
  } catch (const attnsim::UserError&) {
  }
  return 0;
}
