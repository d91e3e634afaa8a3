// Reading claims/*.yaml and matching their claims to registry architectures.
#include "graph/claim_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "config/document.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/paths.h"
#include "graph/load.h"

namespace attnsim {

namespace fs = std::filesystem;

fs::path claims_dir() {
  if (const char* overridden = std::getenv("ATTNSIM_CLAIMS")) return overridden;
  return architectures_dir().parent_path() / "claims";
}

std::vector<fs::path> list_claim_files() {
  std::error_code error;
  if (!fs::is_directory(claims_dir(), error)) return {};
  return yaml_files_in(claims_dir());
}

std::vector<ModelClaim> load_claim_file(const fs::path& file) {
  const config::Node document = config::load_document(file, file.string());
  config::MapReader root(document, "");
  ErrorCollector errors;
  std::string source;
  errors.attempt([&] { source = root.required_string("source"); });
  std::vector<ModelClaim> claims;
  const config::Node* list = root.get("claims");
  if (list == nullptr || !list->is_sequence() || list->items.empty()) {
    errors.add(UserError(list ? list->where : document.where, "claims",
                         "a non-empty list of {model, says, quantity, value}",
                         list ? list->describe() : "no such key"));
  } else {
    const std::vector<std::string> names = registry_names();
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      errors.attempt([&] {
        config::MapReader reader(list->items[i], fmt::format("claims[{}]", i));
        const std::string model = reader.required_string("model");
        if (std::find(names.begin(), names.end(), model) == names.end())
          throw UserError(reader.require("model", "").where, reader.child_path("model"),
                          "the name of an architecture in architectures/",
                          fmt::format("'{}'", model), config::did_you_mean(model, names));
        claims.push_back({model, read_claim(reader, source), file.string()});
      });
    }
  }
  errors.attempt([&] { root.finish(); });
  errors.throw_if_any();
  return claims;
}

std::vector<Claim> claims_from_files(const Architecture& architecture) {
  std::vector<Claim> claims;
  std::error_code error;
  const fs::path registry_file = architectures_dir() / (architecture.name + ".yaml");
  if (!fs::exists(registry_file, error) ||
      !fs::equivalent(registry_file, fs::path(architecture.file), error) || error)
    return claims;
  for (const auto& file : list_claim_files())
    for (ModelClaim& entry : load_claim_file(file))
      if (entry.model == architecture.name) claims.push_back(std::move(entry.claim));
  return claims;
}

std::vector<Claim> all_claims(const Architecture& architecture) {
  std::vector<Claim> claims = architecture.claims;
  for (Claim& claim : claims_from_files(architecture)) claims.push_back(std::move(claim));
  return claims;
}

}  // namespace attnsim
