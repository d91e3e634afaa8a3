// `attnsim simulate`: a scaled-down random-weight instance of an architecture runs a prefill and
// decode steps through every layer's mixer core; what the kernels measure (cache/state bytes,
// multiply-adds) is set beside the cost model's prediction for the same scaled shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scale.h"

namespace attnsim::sim {

struct SimulateOptions {
  ScaleDown scale;
  std::int64_t tokens = 17;       // T: the prefill
  std::int64_t decode_steps = 3;  // D: single-token steps after it
  std::int64_t chunk = 8;         // C of the chunked linear/SSM prefill (cost model: the same)
  std::uint64_t seed = 1;
};

// One quantity of one layer kind, summed over its layers: "kv bytes" and "state bytes" after
// the last step (kv_memory at context T + D, batch 1), "prefill <op>" (model_flops at T) and
// "decode <op>" (Σ over the D steps of model_flops' decode at L = T+1 … T+D). Values are
// doubles: FLOPs are doubles in the cost model, and the scaled byte counts are far below 2^53.
struct SimRow {
  std::string layer_kind;
  std::uint64_t n_layers = 0;
  std::string quantity;
  bool executed = true;  // false: the kind has no reference kernel
  double measured = 0.0;
  double predicted = 0.0;
  bool ok() const { return !executed || measured == predicted; }
};

struct SimulationReport {
  std::string name;                    // the architecture
  std::string scaled;                  // describe(scale): "N=8 S=8"
  std::vector<std::string> instances;  // "gdn: H=2 HV=4 K=16 V=16 conv=4" after scaling
  SimulateOptions options;
  std::vector<SimRow> rows;
  std::vector<std::string> skipped;  // operations not executed (projections), for the notes
  bool all_ok() const;
};

// Operations of the cost model that the simulation does not execute: the projection matmuls
// (including DSA's indexer projections and DeepSeek V4's compressor wkv/wgate, whose outputs
// the kernels take as inputs). Everything else of a mixer is compared.
const std::vector<std::string>& skipped_operations();

SimulationReport simulate(const std::string& name_or_path, const SimulateOptions& options);

}  // namespace attnsim::sim
