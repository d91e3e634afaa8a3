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

// Case runners of the kinds without a reference facet yet (oracle/run_recurrent.cpp).
Outputs run_short_conv(const CaseFile&, const Settings&);
Outputs run_rg_lru(const CaseFile&, const Settings&);
Outputs run_rwkv7(const CaseFile&, const Settings&);
Outputs run_mlstm(const CaseFile&, const Settings&);
Outputs run_mamba3(const CaseFile&, const Settings&);
Outputs run_diff_attn(const CaseFile&, const Settings&);

// The runner of `mixer` (as named in the examples: "mamba2_ssd", or "mamba2"); a UserError
// listing the names otherwise.
Runner find_runner(const std::string& mixer);

}  // namespace attnsim::oracle
