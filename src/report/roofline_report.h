// Renders roofline and fit results (cost/roofline.h) as text with the model's assumptions
// stated, or as JSON.
#pragma once

#include <string>
#include <vector>

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
  bool has_experts = false;  // says "all experts resident" only for MoE models
  std::optional<std::uint64_t> max_context;  // the model's: a context past it is flagged
  // When nothing fits: settings that would fit (the smallest TP degree at the same dtypes, and
  // narrower weights dtypes at the same TP), each with the value found there.
  struct Alternative {
    std::uint64_t tp = 1;
    DType weights_dtype = DType::bf16;
    FitResult result;
  };
  std::vector<Alternative> alternatives;
};
std::string render_fit(const FitReportInput& fit, OutputFormat format);

}  // namespace attnsim::report
