// Renders start-up capacity (cost/capacity.h): the paper minimum's answer and the lines a
// serving engine would print, as text, markdown or JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cost/capacity.h"
#include "report/format.h"

namespace attnsim::report {

struct CapacityRow {
  std::string architecture;
  std::uint64_t max_model_len = 0;
  Capacity paper;
  std::optional<Capacity> engine;  // absent: the engine's arithmetic does not cover the model
  std::string engine_missing;      // why it is absent
};

struct CapacityReport {
  std::string hardware;            // display name
  std::uint64_t memory_bytes = 0;  // the GPU's total memory the budget starts from
  std::string engine;              // display name of the engine whose lines are printed ("vLLM")
  std::string engine_name;         // its profile name: "vllm" or "sglang"
  CapacityOptions options;
  std::vector<CapacityRow> rows;
};

std::string render_capacity(const CapacityReport& report, OutputFormat format);

}  // namespace attnsim::report
