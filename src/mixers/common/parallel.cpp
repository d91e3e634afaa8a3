// std::thread workers for the reference kernels (see parallel.h and README "Threads").
#include "mixers/common/parallel.h"

#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

// OpenBLAS's thread controls (declared in its cblas.h, whose include path differs between its
// Debian variants; these two declarations are all we need from it).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace attnsim::mixers {
namespace {

std::atomic<int> configured_threads{0};  // 0: not set, use the environment or the core count
thread_local bool inside_task = false;
std::mutex blas_setting;  // one parallel_for changes OpenBLAS's thread count at a time

int default_threads() {
  if (const char* text = std::getenv("ATTNSIM_THREADS")) {
    const int threads = std::atoi(text);
    if (threads >= 1) return threads;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Holds OpenBLAS to one thread for its lifetime, then restores the previous count.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : lock_(blas_setting), previous_(openblas_get_num_threads()) {
    if (previous_ != 1) openblas_set_num_threads(1);
  }
  ~SingleThreadedBlas() {
    if (previous_ != 1) openblas_set_num_threads(previous_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  int previous_;
};

}  // namespace

int kernel_threads() {
  const int threads = configured_threads.load();
  return threads >= 1 ? threads : default_threads();
}

void set_kernel_threads(int threads) {
  ATTNSIM_ASSERT(threads >= 1, "kernel threads " + std::to_string(threads));
  configured_threads = threads;
}

void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& task) {
  if (inside_task) {  // nested: this thread already is one of the workers
    for (std::int64_t i = 0; i < n; ++i) task(i);
    return;
  }
  const SingleThreadedBlas single_threaded_blas;
  const std::int64_t threads = std::min<std::int64_t>(kernel_threads(), n);
  std::atomic<std::int64_t> next{0};
  std::exception_ptr first_error;
  std::mutex error_lock;
  const auto worker = [&] {
    inside_task = true;
    for (std::int64_t i = next++; i < n; i = next++) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_lock);
        if (!first_error) first_error = std::current_exception();
        next = n;  // the remaining tasks are skipped
      }
    }
    inside_task = false;
  };
  std::vector<std::thread> helpers;
  for (std::int64_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
  worker();  // the calling thread is worker 0
  for (std::thread& helper : helpers) helper.join();
  if (first_error) std::rethrow_exception(first_error);
}

void parallel_for_counted(std::int64_t n, OpCounts& counts,
                          const std::function<void(std::int64_t, OpCounts&)>& task) {
  std::vector<OpCounts> task_counts(static_cast<std::size_t>(n));
  parallel_for(n, [&](std::int64_t i) { task(i, task_counts[static_cast<std::size_t>(i)]); });
  for (const OpCounts& c : task_counts) counts.merge(c);
}

int blas_threads() { return openblas_get_num_threads(); }

void set_blas_threads(int threads) {
  ATTNSIM_ASSERT(threads >= 1, "BLAS threads " + std::to_string(threads));
  openblas_set_num_threads(threads);
}

}  // namespace attnsim::mixers
