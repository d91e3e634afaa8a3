// The machine's own speed, measured in the benchmark's run: OpenBLAS dgemm/sgemm rates on a
// given number of threads, and the CPU features the binary and OpenBLAS use.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace attnsim::bench {

// Best of `reps` n×n×n OpenBLAS GEMMs (2n³ FLOPs each) on `threads` threads, in GFLOP/s: dgemm
// for float64, sgemm for float32. OpenBLAS's thread count is left at `threads`.
// `wall` is per second of elapsed time; `cpu` per second of process CPU time, which a busy
// machine does not inflate (for one thread it is the rate while the thread runs).
struct GemmPeak {
  double wall = 0, cpu = 0;
};
GemmPeak gemm_peak_gflops(Precision precision, int threads, int n = 2048, int reps = 3);

// The memory ceiling of memory-bound forms: STREAM's triad a[i] = b[i] + s·c[i] over three arrays
// of n doubles (64 MiB each by default, far past any cache), the arrays split into one block per
// thread on `threads` kernel threads (mixers::parallel_for), best of `reps` passes after a warm-up
// pass. Counted as STREAM counts it: 3 · 8 · n bytes a pass (two reads and a write; the write's
// cache-line fill is not counted). GB/s per wall second and per CPU second, as GemmPeak.
struct Bandwidth {
  double wall = 0, cpu = 0;
};
Bandwidth triad_gbps(int threads, std::int64_t n = std::int64_t{1} << 23, int reps = 3);

// Process CPU time (all threads, user + system) in seconds.
double cpu_seconds();

// One line: the CPU's vector extensions, those Eigen was compiled for, OpenBLAS's kernel
// ("core") and build, and OPENBLAS_CORETYPE if set (it caps OpenBLAS's kernel choice).
std::string cpu_features();

}  // namespace attnsim::bench
