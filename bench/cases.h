// The benchmark's cases (bench/mixer_bench.cpp): each mixer's fastest reference form at 16 heads,
// head dim 128, batch 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"

namespace attnsim::bench {

constexpr std::int64_t kHeads = 16, kDim = 128;

// What one timed run did: its measured multiply-adds, and its minimal memory traffic in bytes:
// every tensor the step reads (step and layer inputs) read once and every output it returns
// written once, 8 bytes an element (the sessions' tensors are float64 or int64 at either
// precision); no intermediate, no re-read, no cache-line fill counted. A lower bound on the
// traffic of any implementation that takes and returns these tensors.
struct Measured {
  OpCounts counts;
  double bytes = 0;
};
// `prepare(T)` builds the inputs (not timed) and returns the timed kernel call.
using Kernel = std::function<Measured()>;
struct Case {
  std::string mixer, form;
  std::function<Kernel(std::int64_t T)> prepare;
};

std::vector<Case> cases(Precision precision);

}  // namespace attnsim::bench
