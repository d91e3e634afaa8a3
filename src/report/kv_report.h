// Renders KV-cache/state reports (cost/memory.h) as tables or as the JSON contract of
// `attnsim kv --format json` (architectures/README.md, "JSON output").
#pragma once

#include <string>
#include <vector>

#include "cost/engine.h"
#include "cost/memory.h"
#include "report/format.h"

namespace attnsim::report {

struct KvReportOptions {
  OutputFormat format = OutputFormat::text;
  ByteUnit unit = ByteUnit::GiB;
  bool by_kind = true;   // add the breakdown by layer kind
  std::string run_line;  // engine reports: how the engine runs (ranks, drafting), lines of text
};

std::string render_kv(const std::vector<MemoryReport>& reports, const KvReportOptions& options);

// One architecture under an engine profile: the paper minimum and the engine's allocation, with
// rows at the same contexts and batch.
struct EngineKv {
  MemoryReport paper;
  MemoryReport engine;
};

// Both side by side (text, markdown); CSV and JSON carry the engine's allocation in the usual
// columns and keys, and the minimum in `paper_*` columns / a `paper` object.
std::string render_kv_engine(const std::vector<EngineKv>& reports, const EngineProfile& engine,
                             const KvReportOptions& options);

}  // namespace attnsim::report
