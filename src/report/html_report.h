// `attnsim report`: report definitions (configs/reports/*.yaml) → reports/<name>/ with a
// Markdown page (renders on GitHub), a self-contained HTML page (figures referenced relatively),
// the figures with their CSV and gnuplot scripts, the tables as CSV, and the resolved inputs.
// Output is deterministic: no timestamps, fixed gnuplot settings, sorted inputs.
//
// A definition:
//   title: Seed architectures overview
//   intro: one paragraph of Markdown
//   sections:
//     - title: KV cache and state
//       text: a paragraph
//       architectures: [qwen3-next-80b-a3b, llama-3-8b]   # or `all`
//       variants: [{base: qwen3-next-80b-a3b, set: {linear_ratio: none}}]   # sweep knobs
//       figures: [layers, memory]          # any of: layers, memory, memory_stacked,
//                                          #   flops (prefill, log-log), decode (roofline)
//       table: compare                     # optional
//       contexts: "1k:1M"                  # memory figure contexts (default 1k:1M)
//       table_contexts: "32k,128k,1M"      # table contexts (default 128k,1M)
//       flops_contexts: "1k:256k"          # flops/decode contexts (default 1k:256k)
//       hardware: h100-sxm                 # decode figure preset (default h100-sxm)
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnsim::report {

// The report definitions folder: $ATTNSIM_CONFIGS/reports if set, else the source tree's.
std::filesystem::path report_definitions_dir();

struct ReportOutcome {
  std::string name;
  std::filesystem::path folder;
  std::size_t files = 0;
  bool figures_rendered = true;  // false when gnuplot is missing (scripts and data written)
};

// Called before each step with (done, total) for a progress display; may be empty.
using ProgressFunction = std::function<void(std::size_t done, std::size_t total)>;

// Generates reports/<name>/ for the definition file. Files of a previous run that this run does
// not write are removed, so the folder is exactly what the definition produces.
ReportOutcome generate_report(const std::filesystem::path& definition,
                              const std::filesystem::path& output_root,
                              const ProgressFunction& progress = {});

}  // namespace attnsim::report
