// Claims about models beside what attnsim computes: `validate` and the reports' claims tables.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cost/claims.h"
#include "report/table.h"

namespace attnsim::report {

// One row per claim: architecture, claim, source, quantity (with its context), claimed,
// computed, verdict.
Table claims_table(const std::vector<std::pair<std::string, std::vector<ClaimCheck>>>& checks);

// "claim «…» (source) — quantity: claimed …, computed … — holds", one line per claim.
std::string claims_lines(const std::vector<ClaimCheck>& checks);

}  // namespace attnsim::report
