// Implementation of the shared JSON document shape.
#include "report/json_document.h"

namespace attnsim::report {

nlohmann::ordered_json json_document(std::string_view command,
                                     nlohmann::ordered_json architectures) {
  nlohmann::ordered_json document;
  document["command"] = std::string(command);
  document["units"] = "bytes";
  document["architectures"] = std::move(architectures);
  return document;
}

std::string dump_json(const nlohmann::ordered_json& document) { return document.dump(2) + "\n"; }

}  // namespace attnsim::report
