// attnsim_bench: speed of each mixer's fastest reference form (bench/cases.h) against this
// machine's OpenBLAS GEMM peak and STREAM-like memory bandwidth measured in the same run, on one
// thread and on all, with the fitted exponent of time vs T; or (--memory) each form's peak
// resident memory at one T.
// Not a test: run `attnsim_bench` (several minutes), `attnsim_bench --quick`, or see --help.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "cases.h"
#include "core/precision.h"
#include "memory.h"
#include "mixers/common/parallel.h"
#include "mixers/common/vector_exp.h"
#include "peak.h"

namespace attnsim::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  bool quick = false, json = false;
  std::int64_t max_tokens = 8192;
  std::vector<int> tokens;         // --tokens: these T instead of 512 … 8192
  std::int64_t memory_tokens = 0;  // > 0: memory mode at this T
  int reps = 1;                    // timed runs per point; the fastest is reported
  std::vector<int> threads;
  std::vector<Precision> precisions{Precision::float64};
  std::vector<std::string> only;
};

struct Timing {
  double seconds = 1e30, cpu_seconds = 0, gflop = 0, bytes = 0;
};

Timing time_kernel(const Kernel& kernel, int reps) {
  Timing best;
  for (int rep = 0; rep < reps; ++rep) {
    const double cpu_start = cpu_seconds();
    const auto start = Clock::now();
    const Measured run = kernel();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds < best.seconds) {
      best = {seconds, cpu_seconds() - cpu_start, total_flops(run.counts.flops()) / 1e9, run.bytes};
    }
  }
  return best;
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

// Which ceiling bounds a run: the time its FLOPs take at the GEMM rate against the time its
// minimal traffic (Measured::bytes) takes at the triad rate; the longer one applies.
const char* ceiling_of(const Timing& t, const GemmPeak& peak, const Bandwidth& bandwidth) {
  return t.gflop / peak.wall >= t.bytes / 1e9 / bandwidth.wall ? "compute" : "memory";
}

void time_case(const Case& c, Precision precision, int threads, const Settings& s) {
  const GemmPeak peak = gemm_peak_gflops(precision, threads, s.quick ? 1024 : 2048);
  const Bandwidth bandwidth = triad_gbps(threads);
  mixers::set_kernel_threads(threads);
  if (!s.json) {
    std::printf(
        "%-15s %s, %d thread(s): OpenBLAS %s rate now %.1f GFLOP/s (%.1f per CPU second); "
        "triad %.1f GB/s (%.1f per CPU second)\n",
        c.mixer.c_str(), precision_name(precision), threads,
        precision == Precision::float64 ? "dgemm" : "sgemm", peak.wall, peak.cpu, bandwidth.wall,
        bandwidth.cpu);
  }
  std::vector<std::int64_t> lengths = s.quick
                                          ? std::vector<std::int64_t>{512, 1024, 2048}
                                          : std::vector<std::int64_t>{512, 1024, 2048, 4096, 8192};
  if (!s.tokens.empty()) lengths.assign(s.tokens.begin(), s.tokens.end());
  const double budget_seconds = s.quick ? 5.0 : 25.0;  // a mixer stops growing T past this
  std::vector<double> tokens, times;
  for (const std::int64_t T : lengths) {
    if (s.tokens.empty() && T > s.max_tokens) break;
    const Timing t = time_kernel(c.prepare(T), s.reps);
    const double gflops = t.gflop / t.seconds, cpu_gflops = t.gflop / t.cpu_seconds;
    const double gbps = t.bytes / 1e9 / t.seconds, cpu_gbps = t.bytes / 1e9 / t.cpu_seconds;
    if (s.json) {
      std::printf(
          "{\"mixer\": \"%s\", \"form\": \"%s\", \"precision\": \"%s\", \"T\": %lld, "
          "\"threads\": %d, \"seconds\": %.6f, \"cpu_seconds\": %.6f, \"gflop\": %.6f, "
          "\"gflops\": %.3f, \"peak_gflops\": %.3f, \"percent_of_peak\": %.2f, "
          "\"cpu_gflops\": %.3f, \"cpu_peak_gflops\": %.3f, \"percent_of_cpu_peak\": %.2f, "
          "\"bytes\": %.0f, \"gbps\": %.3f, \"peak_gbps\": %.3f, "
          "\"percent_of_bandwidth\": %.2f, \"cpu_gbps\": %.3f, \"cpu_peak_gbps\": %.3f, "
          "\"percent_of_cpu_bandwidth\": %.2f, \"ceiling\": \"%s\"}\n",
          c.mixer.c_str(), c.form.c_str(), precision_name(precision), static_cast<long long>(T),
          threads, t.seconds, t.cpu_seconds, t.gflop, gflops, peak.wall, 100.0 * gflops / peak.wall,
          cpu_gflops, peak.cpu, 100.0 * cpu_gflops / peak.cpu, t.bytes, gbps, bandwidth.wall,
          100.0 * gbps / bandwidth.wall, cpu_gbps, bandwidth.cpu, 100.0 * cpu_gbps / bandwidth.cpu,
          ceiling_of(t, peak, bandwidth));
    } else {
      std::printf(
          "%-15s %-48s %6lld %3d %9.3f %9.3f %9.2f %8.2f %6.1f%% %6.1f%% %8.2f %6.1f%% %6.1f%%  "
          "%s\n",
          c.mixer.c_str(), c.form.c_str(), static_cast<long long>(T), threads, t.seconds,
          t.cpu_seconds, t.gflop, gflops, 100.0 * gflops / peak.wall, 100.0 * cpu_gflops / peak.cpu,
          gbps, 100.0 * gbps / bandwidth.wall, 100.0 * cpu_gbps / bandwidth.cpu,
          ceiling_of(t, peak, bandwidth));
    }
    std::fflush(stdout);
    tokens.push_back(static_cast<double>(T));
    times.push_back(t.seconds);
    if (t.seconds > budget_seconds) break;
  }
  if (!s.json && tokens.size() > 1) {
    std::printf("%-15s fitted exponent of time vs T: %.2f (over T = %.0f … %.0f)\n\n",
                c.mixer.c_str(), fitted_exponent(tokens, times), tokens.front(), tokens.back());
  }
}

// Runs the case once at T in a child process (so that no earlier run's pages count) and prints
// the peak resident memory above what the process held with the inputs built.
void measure_memory(const Case& c, Precision precision, int threads, const Settings& s) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    mixers::set_kernel_threads(threads);
    const Kernel kernel = c.prepare(s.memory_tokens);
    const std::int64_t inputs = resident_bytes();
    reset_peak_resident();
    const auto start = Clock::now();
    kernel();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double kernel_mib = static_cast<double>(peak_resident_bytes() - inputs) / (1 << 20);
    if (s.json) {
      std::printf(
          "{\"mixer\": \"%s\", \"form\": \"%s\", \"precision\": \"%s\", \"T\": %lld, "
          "\"threads\": %d, \"seconds\": %.6f, \"resident_with_inputs_mib\": %.1f, "
          "\"kernel_peak_mib\": %.1f}\n",
          c.mixer.c_str(), c.form.c_str(), precision_name(precision),
          static_cast<long long>(s.memory_tokens), threads, seconds,
          static_cast<double>(inputs) / (1 << 20), kernel_mib);
    } else {
      std::printf("%-15s %-48s %6lld %3d %9.3f %12.1f %12.1f\n", c.mixer.c_str(), c.form.c_str(),
                  static_cast<long long>(s.memory_tokens), threads, seconds,
                  static_cast<double>(inputs) / (1 << 20), kernel_mib);
    }
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s: the memory run failed (status %d)\n", c.mixer.c_str(), status);
  }
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    values.push_back(std::stoi(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return values;
}

constexpr const char* kUsage =
    "usage: attnsim_bench [--quick] [--max-tokens T] [--threads 1,2] [--precision "
    "float64|float32|both]\n"
    "                     [--tokens T1,T2] [--reps N] [--json] [--memory T] [MIXER...]\n"
    "  --tokens    the lengths T to time (default 512, 1024, 2048, 4096, 8192)\n"
    "  --threads   thread counts to run (default: 1 and all cores)\n"
    "  --reps      timed runs per point, the fastest reported (default 1)\n"
    "  --json      one JSON object per line (mixer, form, precision, T, threads, seconds,\n"
    "              cpu_seconds, gflop, gflops, peak_gflops, percent_of_peak and the same\n"
    "              per CPU second: cpu_gflops, cpu_peak_gflops, percent_of_cpu_peak; then\n"
    "              bytes (minimal traffic), gbps, peak_gbps (STREAM triad), percent_of_bandwidth,\n"
    "              cpu_gbps, cpu_peak_gbps, percent_of_cpu_bandwidth, and ceiling: compute or\n"
    "              memory, whichever bound is longer for the form)\n"
    "  --memory T  instead of timing: peak resident memory of one run at T, per form\n";

}  // namespace
}  // namespace attnsim::bench

int main(int argc, char** argv) {
  using namespace attnsim;
  using namespace attnsim::bench;
  Settings s;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.threads = cores > 1 ? std::vector<int>{1, cores} : std::vector<int>{1};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      s.quick = true;
    } else if (arg == "--json") {
      s.json = true;
    } else if (arg == "--max-tokens" && has_value) {
      s.max_tokens = std::stoll(argv[++i]);
    } else if (arg == "--memory" && has_value) {
      s.memory_tokens = std::stoll(argv[++i]);
    } else if (arg == "--tokens" && has_value) {
      s.tokens = parse_list(argv[++i]);
    } else if (arg == "--reps" && has_value) {
      s.reps = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--threads" && has_value) {
      s.threads = parse_list(argv[++i]);
    } else if (arg == "--precision" && has_value) {
      const std::string p = argv[++i];
      s.precisions = p == "both"      ? std::vector{Precision::float64, Precision::float32}
                     : p == "float32" ? std::vector{Precision::float32}
                                      : std::vector{Precision::float64};
    } else if (arg == "--help" || arg == "-h" || arg.rfind("--", 0) == 0) {
      std::fputs(kUsage, arg.rfind("--help", 0) == 0 || arg == "-h" ? stdout : stderr);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    } else {
      s.only.push_back(arg);
    }
  }
  if (s.memory_tokens == 0 && !std::getenv("GLIBC_TUNABLES")) {
    // Timing: ask glibc (≥ 2.35) to back the heap and large blocks with transparent huge pages,
    // which takes effect only at start, hence the re-run of this program. Fresh outputs (e.g.
    // 64 MiB for T = 4096) and per-task buffers otherwise cost a page fault per 4 KiB, and on
    // this VM those faults took a third of chunked Mamba-2's time at T = 2048.
    setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: go on without
  }
  if (s.memory_tokens == 0) {
    // Timing: keep freed memory in the process. The kernels allocate per-task buffers that grow
    // with T, and with glibc's defaults each one is fresh pages from the OS; on this VM a page
    // fault costs so much that from T = 4096 the timings measured page faults, not arithmetic.
    // Every block comes from the heap (no mmap: glibc caps the mmap threshold at 32 MiB, and a
    // T = 4096 output is 64 MiB) and is reused by the next run.
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::fprintf(s.json ? stderr : stdout,
               "attnsim_bench: %lld heads, head dim %lld, batch 1\n%s; exp: %s; "
               "GLIBC_TUNABLES=%s\n",
               static_cast<long long>(kHeads), static_cast<long long>(kDim), cpu_features().c_str(),
               mixers::vector_exp_is_avx2() ? "libmvec AVX2" : "Eigen (build width)",
               tunables ? tunables : "(unset)");
  if (!s.json) {
    if (s.memory_tokens > 0) {
      std::printf("\n%-15s %-48s %6s %3s %9s %12s %12s\n", "mixer", "form", "T", "thr", "time_s",
                  "inputs_MiB", "kernel_MiB");
    } else {
      std::printf(
          "%%peak is relative to an OpenBLAS GEMM of the same precision and thread count measured\n"
          "just before each mixer (the machine may be shared, so the rate is re-measured);\n"
          "%%cpu-peak compares rates per CPU second instead, which a busy machine does not "
          "skew.\n"
          "GB/s is the form's minimal traffic (each input read and each output written once, 8\n"
          "bytes an element) per second; %%bw and %%cpu-bw relate it to a STREAM triad measured\n"
          "likewise; 'ceiling' names the bound that applies: compute when the FLOPs at the GEMM\n"
          "rate take longer than the minimal traffic at the triad rate, else memory.\n\n"
          "%-15s %-48s %6s %3s %9s %9s %9s %8s %7s %7s %8s %7s %7s  %s\n",
          "mixer", "form", "T", "thr", "time_s", "cpu_s", "GFLOP", "GFLOP/s", "%peak", "%cpu-peak",
          "GB/s", "%bw", "%cpu-bw", "ceiling");
    }
  }
  for (const Precision precision : s.precisions) {
    for (const Case& c : cases(precision)) {
      if (!s.only.empty() && std::find(s.only.begin(), s.only.end(), c.mixer) == s.only.end())
        continue;
      for (const int threads : s.threads) {
        if (s.memory_tokens > 0)
          measure_memory(c, precision, threads, s);
        else
          time_case(c, precision, threads, s);
      }
    }
  }
  return 0;
}
