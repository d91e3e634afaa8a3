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

// `prepare(T)` builds the inputs (not timed) and returns the timed kernel call, which
// returns its measured multiply-adds.
using Kernel = std::function<OpCounts()>;
struct Case {
  std::string mixer, form;
  std::function<Kernel(std::int64_t T)> prepare;
};

std::vector<Case> cases(Precision precision);

}  // namespace attnsim::bench
