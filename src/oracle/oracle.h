// `attnsim oracle`'s engine: each mixer kind's case runner (oracle/run_attention.cpp,
// oracle/run_linear.cpp,
// oracle/run_recurrent.cpp), looked up by name in oracle/registry.cpp; report/oracle_outputs.h
// writes their outputs. Adding a kind adds its runner and one line in the registry.
#pragma once

#include <string>
#include <vector>

#include "oracle/case_file.h"

namespace attnsim::oracle {

using Runner = Outputs (*)(const CaseFile&, const Settings&);

Outputs run_softmax_attn(const CaseFile&, const Settings&);
Outputs run_gated_attn(const CaseFile&, const Settings&);
Outputs run_mla(const CaseFile&, const Settings&);
Outputs run_dsa(const CaseFile&, const Settings&);
Outputs run_gated_deltanet(const CaseFile&, const Settings&);
Outputs run_kda(const CaseFile&, const Settings&);
Outputs run_lightning(const CaseFile&, const Settings&);
Outputs run_mamba2(const CaseFile&, const Settings&);
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
