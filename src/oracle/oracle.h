// `attnsim oracle`'s engine: a kind's reference facet (mixers/reference.h) filled from a case
// folder (oracle/registry.cpp); report/oracle_outputs.h writes the outputs. A registered kind
// with a facet runs here without any code in oracle/.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "oracle/case_file.h"

namespace attnsim::oracle {

using Runner = std::function<Outputs(const CaseFile&, const Settings&)>;

// The runner of `mixer` (as named in the examples: "mamba2_ssd", or "mamba2"); a UserError
// listing the names otherwise.
Runner find_runner(const std::string& mixer);

}  // namespace attnsim::oracle
