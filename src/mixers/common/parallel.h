// The reference kernels' threads: independent (batch, head) or (head, query block) tasks are
// spread over kernel_threads() threads, and BLAS runs single-threaded inside them. Each task is
// computed by one thread in one fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>

#include "core/op_counts.h"

namespace attnsim::mixers {

// Threads used by the kernels: set_kernel_threads, else the ATTNSIM_THREADS environment variable,
// else all the cores std::thread::hardware_concurrency() reports.
int kernel_threads();
void set_kernel_threads(int threads);  // ≥ 1

// Runs task(i) for i in [0, n), each on one of kernel_threads() threads, which take the next
// index from a shared counter (so uneven tasks balance). BLAS is held to one thread meanwhile
// (OpenBLAS's own threads would oversubscribe the cores). A call from inside a task runs its
// tasks serially on that thread. The first exception a task throws is rethrown once all stop.
void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& task);

// parallel_for whose tasks count into their own OpCounts, added to `counts` when all are done.
void parallel_for_counted(std::int64_t n, OpCounts& counts,
                          const std::function<void(std::int64_t, OpCounts&)>& task);

// OpenBLAS's thread count for BLAS calls made outside parallel_for (e.g. the benchmark's GEMM).
int blas_threads();
void set_blas_threads(int threads);

}  // namespace attnsim::mixers
