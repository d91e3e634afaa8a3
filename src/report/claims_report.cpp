// Implementation of the claims table and lines.
#include "report/claims_report.h"

#include <fmt/format.h>

namespace attnsim::report {

namespace {
std::string quantity_text(const Claim& claim) {
  return claim.context ? fmt::format("{} at {} tokens", claim.quantity, *claim.context)
                       : claim.quantity;
}
}  // namespace

Table claims_table(const std::vector<std::pair<std::string, std::vector<ClaimCheck>>>& checks) {
  Table table{{{"architecture", Align::left},
               {"claim", Align::left},
               {"source", Align::left},
               {"quantity", Align::left},
               {"claimed"},
               {"computed"},
               {"verdict", Align::left}},
              {}};
  for (const auto& [name, list] : checks)
    for (const ClaimCheck& check : list)
      table.add_row({name, check.claim.says, check.claim.source, quantity_text(check.claim),
                     check.claimed_text, check.computed_text, check.verdict});
  return table;
}

std::string claims_lines(const std::vector<ClaimCheck>& checks) {
  std::string text;
  for (const ClaimCheck& check : checks)
    text += fmt::format("    claim \"{}\" ({}) — {}: claimed {}, computed {} — {}\n",
                        check.claim.says, check.claim.source, quantity_text(check.claim),
                        check.claimed_text, check.computed_text, check.verdict);
  return text;
}

}  // namespace attnsim::report
