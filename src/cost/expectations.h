// Checks an architecture against the published facts in its `expect:` block: layer counts per
// kind, KV bytes per token (the file's kv dtype, before window caps) and parameter counts
// (cost/params.h conventions; rounded figures within 0.5%, exact ones exactly).
#pragma once

#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// One line per mismatch, naming the key and both values; empty when everything agrees.
std::vector<std::string> check_expectations(const Architecture& architecture);

}  // namespace attnsim
