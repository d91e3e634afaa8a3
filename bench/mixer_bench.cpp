// attnsim_bench: speed of each mixer's fastest reference form at T = 512 … 8192 (16 heads, head
// dim 128, float64, batch 1) against this machine's own Eigen GEMM rate, with the fitted exponent
// of time vs T. Not a test: run `attnsim_bench` (about 5 minutes) or `attnsim_bench --quick`.
#include <Eigen/Dense>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mixers/dsa/reference.h"
#include "mixers/gated_attn/reference.h"
#include "mixers/gated_deltanet/reference.h"
#include "mixers/kda/reference.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba2/reference.h"
#include "mixers/mla/reference.h"
#include "mixers/softmax_attn/reference.h"

namespace {

using namespace attnsim;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kHeads = 16, kDim = 128;

Tensor random_tensor(std::vector<std::int64_t> shape, std::uint64_t seed, double low = -1.0,
                     double high = 1.0) {
  Tensor t(std::move(shape));
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  for (double& value : t.data) value = uniform(engine);
  return t;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best of three n×n×n products: the machine's GEMM rate in GFLOP/s (2n³ FLOPs each).
double gemm_gflops(int n) {
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n), b = Eigen::MatrixXd::Random(n, n);
  Eigen::MatrixXd c(n, n);
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = Clock::now();
    c.noalias() = a * b;
    best = std::min(best, seconds_since(start));
  }
  return 2.0 * n * n * static_cast<double>(n) / best / 1e9 + 0.0 * c(0, 0);
}

// One benchmark: `prepare(T)` builds the inputs (not timed) and returns the timed kernel call,
// which returns its measured FLOPs.
using Kernel = std::function<OpCounts()>;
struct Case {
  std::string mixer, form;
  std::function<Kernel(std::int64_t T)> prepare;
};

std::vector<Case> cases() {
  const std::int64_t H = kHeads, D = kDim;
  std::vector<Case> all;
  all.push_back({"softmax_attn", "MHA, blocked (query_block 128)", [=](std::int64_t T) {
                   softmax_attn::Options options;
                   options.query_block = 128;
                   const softmax_attn::Inputs in{random_tensor({1, T, H, D}, 1),
                                                 random_tensor({1, T, H, D}, 2),
                                                 random_tensor({1, T, H, D}, 3),
                                                 {},
                                                 {}};
                   return Kernel([=] { return softmax_attn::run(in, options).counts; });
                 }});
  all.push_back({"gated_attn", "Hkv 4, blocked (query_block 128)", [=](std::int64_t T) {
                   gated_attn::Options options;
                   options.query_block = 128;
                   const gated_attn::Inputs in{random_tensor({1, T, H, 2 * D}, 1),
                                               random_tensor({1, T, 4, D}, 2),
                                               random_tensor({1, T, 4, D}, 3),
                                               random_tensor({D}, 4, -0.1, 0.1),
                                               random_tensor({D}, 5, -0.1, 0.1),
                                               {},
                                               {}};
                   return Kernel([=] { return gated_attn::run(in, options).counts; });
                 }});
  all.push_back({"mla", "naive (dn 128, dr 64, dv 128, dc 512)", [=](std::int64_t T) {
                   mla::Options options;
                   options.form = mla::Form::naive;
                   options.query_block = 128;
                   const mla::Inputs in{random_tensor({1, T, H, D}, 1),
                                        random_tensor({1, T, H, 64}, 2),
                                        random_tensor({1, T, 512}, 3),
                                        random_tensor({1, T, 64}, 4),
                                        random_tensor({H, D, 512}, 5, -0.05, 0.05),
                                        random_tensor({H, D, 512}, 6, -0.05, 0.05),
                                        {},
                                        {}};
                   return Kernel([=] { return mla::run(in, options).counts; });
                 }});
  all.push_back({"dsa", "indexer (HI 16, dI 128) + masked MHA, topk 2048", [=](std::int64_t T) {
                   dsa::IndexerOptions index;
                   index.topk = 2048;
                   index.rope_dim = 64;
                   index.query_block = 128;
                   softmax_attn::Options options;
                   options.query_block = 128;
                   const dsa::IndexerInputs indexer{random_tensor({1, T, H, D}, 7),
                                                    random_tensor({1, T, D}, 8),
                                                    random_tensor({1, T, H}, 9),
                                                    {},
                                                    {}};
                   const softmax_attn::Inputs in{random_tensor({1, T, H, D}, 1),
                                                 random_tensor({1, T, H, D}, 2),
                                                 random_tensor({1, T, H, D}, 3),
                                                 {},
                                                 {}};
                   return Kernel(
                       [=] { return dsa::run_on_attention(indexer, index, in, options).counts; });
                 }});
  const auto delta_rule = [=](std::int64_t T, bool per_channel) {
    mixers::DeltaRuleOptions options;
    options.chunk_size = 64;
    const std::vector<std::int64_t> gate =
        per_channel ? std::vector<std::int64_t>{1, T, H, D} : std::vector<std::int64_t>{1, T, H};
    const mixers::DeltaRuleInputs in{
        random_tensor({1, T, H, D}, 1),        random_tensor({1, T, H, D}, 2),
        random_tensor({1, T, H, D}, 3),        random_tensor(gate, 4, -0.5, 0.0),
        random_tensor({1, T, H}, 5, 0.0, 1.0), Tensor()};
    const auto kind = per_channel ? mixers::GateKind::per_channel : mixers::GateKind::scalar;
    return Kernel([=] { return mixers::run_delta_rule(in, options, kind).counts; });
  };
  all.push_back(
      {"gated_deltanet", "chunked, C 64", [=](std::int64_t T) { return delta_rule(T, false); }});
  all.push_back({"kda", "chunked, C 64", [=](std::int64_t T) { return delta_rule(T, true); }});
  all.push_back({"lightning", "chunked, C 64", [=](std::int64_t T) {
                   lightning::Options options;
                   options.chunk_size = 64;
                   Tensor g({H});
                   g.data = lightning::minimax_slopes(H, 0, 8);
                   const lightning::Inputs in{random_tensor({1, T, H, D}, 1),
                                              random_tensor({1, T, H, D}, 2),
                                              random_tensor({1, T, H, D}, 3), g, Tensor()};
                   return Kernel([=] { return lightning::run(in, options).counts; });
                 }});
  all.push_back({"mamba2_ssd", "chunked, C 64 (P 128, N 128, G 1)", [=](std::int64_t T) {
                   mamba2::Options options;
                   options.chunk_size = 64;
                   const mamba2::Inputs in{
                       random_tensor({1, T, H, D}, 1), random_tensor({1, T, H}, 2, -3, 0),
                       random_tensor({H}, 3, -1, 1),   random_tensor({H}, 4, -2, -0.5),
                       random_tensor({1, T, 1, D}, 5), random_tensor({1, T, 1, D}, 6),
                       random_tensor({H}, 7),          Tensor()};
                   return Kernel([=] { return mamba2::run(in, options).counts; });
                 }});
  return all;
}

// Least-squares slope of log(time) against log(T).
double fitted_exponent(const std::vector<double>& tokens, const std::vector<double>& times) {
  const std::size_t n = tokens.size();
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = std::log(tokens[i]), y = std::log(times[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace

// Usage: attnsim_bench [--quick] [--max-tokens T] [MIXER...]   (no mixer names = all of them)
int main(int argc, char** argv) {
  // Keep freed memory in the process: the kernels allocate per-head buffers that grow with T,
  // and with glibc's defaults each one is fresh pages from the OS. On this VM a page fault
  // costs so much that from T = 4096 the timings measured page faults, not arithmetic (e.g.
  // chunked Mamba-2 at 37% of GEMM instead of 62%). Blocks up to 32 MiB (glibc's ceiling) come
  // from the heap and are reused; larger outputs are still fresh pages, and are timed.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  bool quick = false;
  std::int64_t max_tokens = 8192;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--max-tokens" && i + 1 < argc) {
      max_tokens = std::stoll(argv[++i]);
    } else {
      only.push_back(arg);
    }
  }
  const std::vector<std::int64_t> lengths =
      quick ? std::vector<std::int64_t>{512, 1024, 2048}
            : std::vector<std::int64_t>{512, 1024, 2048, 4096, 8192};
  const double budget_seconds = quick ? 5.0 : 25.0;  // a mixer stops growing T past this
  std::printf("attnsim_bench: %lld heads, head dim %lld, float64, batch 1, one thread\n",
              static_cast<long long>(kHeads), static_cast<long long>(kDim));
  std::printf(
      "%%GEMM is relative to an Eigen GEMM measured just before each mixer (the machine\n"
      "may be shared, so the rate is re-measured rather than assumed).\n\n");
  std::printf("%-15s %-48s %6s %9s %10s %8s %7s\n", "mixer", "form", "T", "time_s", "GFLOP",
              "GFLOP/s", "%GEMM");
  for (const Case& c : cases()) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.mixer) == only.end()) continue;
    const double gemm = gemm_gflops(quick ? 512 : 1024);
    std::printf("%-15s Eigen GEMM rate now: %.2f GFLOP/s\n", c.mixer.c_str(), gemm);
    std::vector<double> tokens, times;
    for (const std::int64_t T : lengths) {
      if (T > max_tokens) break;
      const Kernel kernel = c.prepare(T);
      const auto start = Clock::now();
      const OpCounts counts = kernel();
      const double seconds = seconds_since(start);
      const double gflop = total_flops(counts.flops()) / 1e9;
      std::printf("%-15s %-48s %6lld %9.3f %10.2f %8.2f %6.1f%%\n", c.mixer.c_str(), c.form.c_str(),
                  static_cast<long long>(T), seconds, gflop, gflop / seconds,
                  100.0 * gflop / seconds / gemm);
      std::fflush(stdout);
      tokens.push_back(static_cast<double>(T));
      times.push_back(seconds);
      if (seconds > budget_seconds) break;
    }
    std::printf("%-15s fitted exponent of time vs T: %.2f (over T = %.0f … %.0f)\n\n",
                c.mixer.c_str(), fitted_exponent(tokens, times), tokens.front(), tokens.back());
  }
  return 0;
}
