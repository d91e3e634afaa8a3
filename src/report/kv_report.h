// Renders KV-cache/state reports (cost/memory.h) as tables or as the JSON contract of
// `attnsim kv --format json` (architectures/README.md, "JSON output").
#pragma once

#include <string>
#include <vector>

#include "cost/memory.h"
#include "report/format.h"

namespace attnsim::report {

struct KvReportOptions {
  OutputFormat format = OutputFormat::text;
  ByteUnit unit = ByteUnit::GiB;
  bool by_kind = true;  // add the breakdown by layer kind
};

std::string render_kv(const std::vector<MemoryReport>& reports, const KvReportOptions& options);

}  // namespace attnsim::report
