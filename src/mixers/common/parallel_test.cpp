// Tests of the kernels' thread pool: every task runs once whatever the thread count, errors
// reach the caller, nested loops run serially, and kernel results are bit-identical from run to
// run and across thread counts (each task is computed by one thread in one fixed order).
#include "mixers/common/parallel.h"

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "mixers/common/delta_rule.h"
#include "mixers/common/test_util.h"
#include "mixers/softmax_attn/reference.h"

namespace attnsim::mixers {
namespace {

using testing::random_tensor;

// Restores the thread count a test changed.
struct ThreadsRestored {
  int saved = kernel_threads();
  ~ThreadsRestored() { set_kernel_threads(saved); }
};

TEST_CASE("parallel_for") {
  const ThreadsRestored restore;
  SUBCASE("each of 1000 tasks runs exactly once, for 1, 2 and 5 threads") {
    for (const int threads : {1, 2, 5}) {
      set_kernel_threads(threads);
      std::vector<std::atomic<int>> runs(1000);
      parallel_for(1000, [&](std::int64_t i) { ++runs[static_cast<std::size_t>(i)]; });
      for (const auto& count : runs) CHECK(count.load() == 1);
    }
  }
  SUBCASE("a task's exception reaches the caller") {
    set_kernel_threads(2);
    CHECK_THROWS_AS(parallel_for(10,
                                 [](std::int64_t i) {
                                   if (i == 7) throw std::runtime_error("task 7");
                                 }),
                    std::runtime_error);
  }
  SUBCASE("a nested loop runs all its tasks") {
    set_kernel_threads(2);
    std::atomic<int> inner{0};
    parallel_for(4, [&](std::int64_t) { parallel_for(3, [&](std::int64_t) { ++inner; }); });
    CHECK(inner.load() == 12);
  }
  SUBCASE("parallel_for_counted adds every task's counts: 6 tasks × 5 multiply-adds = 30") {
    set_kernel_threads(2);
    OpCounts counts;
    parallel_for_counted(6, counts, [](std::int64_t, OpCounts& c) { c.add("x", 5); });
    CHECK(counts.macs.at("x") == 30);
  }
}

TEST_CASE("kernel results do not depend on the run or the thread count") {
  const ThreadsRestored restore;
  SUBCASE("softmax attention, T = 300, 5 heads, blocks of 64") {
    const softmax_attn::Inputs in{random_tensor({2, 300, 5, 24}, 1),
                                  random_tensor({2, 300, 5, 24}, 2),
                                  random_tensor({2, 300, 5, 24}, 3),
                                  {},
                                  {}};
    softmax_attn::Options options;
    options.query_block = 64;
    set_kernel_threads(1);
    const auto serial = softmax_attn::run(in, options);
    for (const int threads : {1, 2, 3}) {
      set_kernel_threads(threads);
      const auto r = softmax_attn::run(in, options);
      CHECK(r.o.data == serial.o.data);
      CHECK(r.lse.data == serial.lse.data);
      CHECK(r.counts.macs == serial.counts.macs);
    }
  }
  SUBCASE("chunked KDA, T = 200, 3 heads") {
    DeltaRuleInputs in{
        random_tensor({2, 200, 3, 32}, 4),       random_tensor({2, 200, 3, 32}, 5),
        random_tensor({2, 200, 3, 32}, 6),       random_tensor({2, 200, 3, 32}, 7, -0.5, 0.0),
        random_tensor({2, 200, 3}, 8, 0.0, 1.0), Tensor()};
    set_kernel_threads(1);
    const auto serial = run_delta_rule(in, {}, GateKind::per_channel);
    for (const int threads : {1, 2, 3}) {
      set_kernel_threads(threads);
      const auto r = run_delta_rule(in, {}, GateKind::per_channel);
      CHECK(r.o.data == serial.o.data);
      CHECK(r.final_state.data == serial.final_state.data);
    }
  }
}

}  // namespace
}  // namespace attnsim::mixers
