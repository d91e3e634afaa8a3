// Renders roofline and fit results (cost/roofline.h) as text with the model's assumptions
// stated, or as JSON.
#pragma once

#include <string>

#include "cost/roofline.h"
#include "report/format.h"

namespace attnsim::report {

std::string render_roofline(const RooflineReport& report, OutputFormat format);

struct FitReportInput {
  std::string name;
  std::string hardware;
  FitOptions options;
  bool search_context = true;  // false: searched the batch
  std::uint64_t fixed = 0;     // the batch (context search) or the context (batch search)
  FitResult result;
};
std::string render_fit(const FitReportInput& fit, OutputFormat format);

}  // namespace attnsim::report
