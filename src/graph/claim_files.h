// Claims files: one YAML per article, card or paper in claims/, each claim naming the registry
// model it is about. `validate` and the reports evaluate them beside the claims an architecture
// file records itself (cost/claims.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// A claim from a claims file and the registry model it is about.
struct ModelClaim {
  std::string model;  // a file stem in architectures_dir()
  Claim claim;        // its source is the file's
  std::string file;
};

// The shipped claims folder: $ATTNSIM_CLAIMS if set, else `claims` beside architectures_dir().
std::filesystem::path claims_dir();
// Every *.yaml in claims_dir(), sorted by name; none when the folder does not exist.
std::vector<std::filesystem::path> list_claim_files();
// Reads one claims file: {source, claims: [{model, says, quantity, value, context?,
// tolerance?}]}. Every mistake (an unknown key, a model the registry does not have, a quantity
// attnsim does not compute) is reported with file:line:col.
std::vector<ModelClaim> load_claim_file(const std::filesystem::path& file);
// The claims about `architecture` in every claims file, when it is the registry's file of that
// name (a user's file of the same name is another model); none otherwise.
std::vector<Claim> claims_from_files(const Architecture& architecture);
// The architecture's own claims followed by those of the claims files about it.
std::vector<Claim> all_claims(const Architecture& architecture);

}  // namespace attnsim
