// GEMM peak and CPU features for attnsim_bench (see peak.h).
#include "peak.h"

#include <cblas.h>
#include <sys/resource.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "mixers/common/parallel.h"

// OpenBLAS extras, not in every cblas.h variant.
extern "C" {
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace attnsim::bench {
namespace {

template <class S, class Gemm>
GemmPeak best_gemm_seconds(int n, int reps, Gemm gemm) {
  std::vector<S> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<S>((i % 7) * 0.25 - 0.75);
    b[i] = static_cast<S>((i % 5) * 0.5 - 1.0);
  }
  gemm(a.data(), b.data(), c.data());  // warm-up: OpenBLAS buffers and threads
  GemmPeak best{1e30, 1e30};           // seconds
  for (int rep = 0; rep < reps; ++rep) {
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    gemm(a.data(), b.data(), c.data());
    best.wall = std::min(
        best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    best.cpu = std::min(best.cpu, cpu_seconds() - cpu_start);
  }
  return best;
}

}  // namespace

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

GemmPeak gemm_peak_gflops(Precision precision, int threads, int n, int reps) {
  openblas_set_num_threads(threads);
  const GemmPeak seconds =
      precision == Precision::float64
          ? best_gemm_seconds<double>(n, reps,
                                      [n](const double* a, const double* b, double* c) {
                                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n,
                                                    n, 1.0, a, n, b, n, 0.0, c, n);
                                      })
          : best_gemm_seconds<float>(n, reps, [n](const float* a, const float* b, float* c) {
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                          0.0f, c, n);
            });
  const double gflop = 2.0 * n * n * static_cast<double>(n) / 1e9;
  return {gflop / seconds.wall, gflop / seconds.cpu};
}

Bandwidth triad_gbps(int threads, std::int64_t n, int reps) {
  mixers::set_kernel_threads(threads);
  std::vector<double> a(static_cast<std::size_t>(n)), b(a.size(), 1.0), c(a.size(), 2.0);
  const std::int64_t block = (n + threads - 1) / threads;
  const auto triad = [&] {
    mixers::parallel_for(threads, [&](std::int64_t task) {
      const std::int64_t end = std::min(n, (task + 1) * block);
      for (std::int64_t i = task * block; i < end; ++i) a[i] = b[i] + 3.0 * c[i];
    });
  };
  triad();  // warm-up: the threads start, every page is mapped
  double wall = 1e30, cpu = 1e30;
  for (int rep = 0; rep < reps; ++rep) {
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    triad();
    wall = std::min(
        wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu = std::min(cpu, cpu_seconds() - cpu_start);
  }
  const double gb = 3.0 * 8.0 * static_cast<double>(n) / 1e9;
  return {gb / wall, gb / cpu};
}

std::string cpu_features() {
  std::string cpu;
  __builtin_cpu_init();
  for (const auto& [name, present] : {std::pair{"sse2", __builtin_cpu_supports("sse2")},
                                      {"avx", __builtin_cpu_supports("avx")},
                                      {"avx2", __builtin_cpu_supports("avx2")},
                                      {"fma", __builtin_cpu_supports("fma")},
                                      {"avx512f", __builtin_cpu_supports("avx512f")}}) {
    if (present) cpu += std::string(cpu.empty() ? "" : " ") + name;
  }
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  return "CPU: " + cpu +
         "; Eigen (compiled, elementwise work): " + Eigen::SimdInstructionSetsInUse() +
         "; OpenBLAS kernels: " + openblas_get_corename() + " (" + openblas_get_config() + ")" +
         "; OPENBLAS_CORETYPE=" + (coretype ? coretype : "(unset)");
}

}  // namespace attnsim::bench
