// Renders FLOP reports (cost/flops.h): the conventions used, then one row per operation with
// prefill and decode FLOPs; or JSON.
#pragma once

#include <string>
#include <vector>

#include "cost/flops.h"
#include "report/format.h"

namespace attnsim::report {

// `other_algorithm_prefill`: the same prefill under the other linear algorithm (recurrent vs
// chunked), printed beside the total for models with linear/SSM layers; absent otherwise.
struct FlopReportEntry {
  FlopReport report;
  std::optional<FlopReport> other_algorithm;
};

std::string render_flops(const std::vector<FlopReportEntry>& entries, OutputFormat format);

}  // namespace attnsim::report
