// The measured time model against data it was not fitted on. The H200 preset's tables
// (configs/hardware/measurements/h200.json) come from one run of tools/measure_gpu.py; every
// point of ../shared/reference/measurements/h200/ops.json, measured separately on another H200,
// is held out. Standalone times there are compared with the predicted kernel time plus the
// preset's measured launch overhead of that table. Further, shapes are removed from the fitted
// tables (a whole GEMM weight shape, every other M, two contexts, a batch row, two prefill
// lengths) and predicted from what remains. Last, whole decode steps and prefills of a
// Llama-3-8B-shaped model measured by tools/measure_step.py on the same GPU
// (tests/measured/h200-llama-3-8b-steps.json) against `roofline --hw h200`.
// ATTNSIM_PRINT_EVAL=1 prints every comparison.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/paths.h"
#include "cost/hardware.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "tests/reference_dir.h"

namespace attnsim {

namespace {
using json = nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);
}

bool printing() { return std::getenv("ATTNSIM_PRINT_EVAL") != nullptr; }

// Relative errors (predicted / measured − 1) of one comparison, summarised.
struct Errors {
  std::string what;
  std::vector<double> errors;

  void add(double predicted, double measured, const std::string& point) {
    errors.push_back(predicted / measured - 1.0);
    if (printing())
      fmt::print("  {:<28} {:<34} predicted {:10.2f} µs measured {:10.2f} µs {:+6.1f}%\n", what,
                 point, predicted * 1e6, measured * 1e6, 100.0 * errors.back());
  }
  double median_abs() const {
    std::vector<double> a;
    for (double e : errors) a.push_back(std::abs(e));
    std::sort(a.begin(), a.end());
    return a[a.size() / 2];
  }
  double max_abs() const {
    double m = 0.0;
    for (double e : errors) m = std::max(m, std::abs(e));
    return m;
  }
  double within(double bound) const {
    double n = 0.0;
    for (double e : errors) n += std::abs(e) <= bound ? 1.0 : 0.0;
    return n / static_cast<double>(errors.size());
  }
  void summary() const {
    if (printing())
      fmt::print("{:<28} n={:3} median |err| {:5.1f}%  max {:6.1f}%  within ±15%: {:5.1f}%\n", what,
                 errors.size(), 100.0 * median_abs(), 100.0 * max_abs(), 100.0 * within(0.15));
  }
};

GpuMeasurements shipped() {
  const Hardware h200 = load_hardware("h200");
  REQUIRE(h200.measurements.has_value());
  return *h200.measurements;
}

// Read once: range-for over a member of a temporary would dangle.
const json& ops() {
  static const json data = read_json(testing::reference_dir() / "measurements/h200/ops.json");
  return data;
}

double overhead(const GpuMeasurements& gpu, const std::string& table) {
  return gpu.launch_overhead_seconds.at(table);
}

void gemm_against_ops(Errors& errors, const GpuMeasurements& gpu,
                      const std::function<bool(const json&)>& held_out) {
  for (const json& row : ops()["gemm_bf16"]) {
    if (!held_out(row)) continue;
    const double m = row["M"], n = row["N"], k = row["K"];
    errors.add(gemm_seconds(gpu, m, n, k).seconds + overhead(gpu, "gemm"), row["s"],
               fmt::format("M={} N={} K={}", m, n, k));
  }
}

void decode_against_ops(Errors& errors, const GpuMeasurements& gpu,
                        const std::function<bool(const json&)>& held_out) {
  for (const json& row : ops()["decode_attention_sdpa_gqa"]) {
    if (!held_out(row)) continue;
    const double B = row["B"], L = row["L"], H = row["H"], KV = row["KV"], d = row["d"];
    const double flops = B * H * L * 2.0 * (2.0 * d);  // scores and AV: 2·(Dk + Dv) per key
    errors.add(decode_attention_seconds(gpu, B, 2.0 * KV * L * d * 2.0, flops).seconds +
                   overhead(gpu, "decode_attention"),
               row["s"], fmt::format("B={} L={}", B, L));
  }
}

void prefill_against_ops(Errors& errors, const GpuMeasurements& gpu,
                         const std::function<bool(const json&)>& held_out) {
  for (const json& row : ops()["prefill_attention_sdpa_causal"]) {
    if (!held_out(row)) continue;
    const double T = row["T"], H = row["H"], d = row["d"];
    errors.add(prefill_attention_seconds(gpu, 4.0 * H * d * T * (T + 1.0) / 2.0).seconds +
                   overhead(gpu, "prefill_attention"),
               row["s"], fmt::format("T={}", T));
  }
}

template <typename Point, typename Keep>
void keep_only(std::vector<Point>& points, Keep keep) {
  points.erase(
      std::remove_if(points.begin(), points.end(), [&](const Point& p) { return !keep(p); }),
      points.end());
}

const auto all = [](const json&) { return true; };
}  // namespace

TEST_CASE("measured time model against the held-out ops.json") {
  const GpuMeasurements gpu = shipped();
  if (printing()) fmt::print("\nShipped tables vs every ops.json point (another H200 run):\n");

  SUBCASE("GEMM") {
    Errors errors{"gemm (all 90)", {}};
    gemm_against_ops(errors, gpu, all);
    errors.summary();
    CHECK(errors.median_abs() < 0.10);
  }
  SUBCASE("decode attention") {
    Errors errors{"decode attention (all 17)", {}};
    decode_against_ops(errors, gpu, all);
    errors.summary();
    CHECK(errors.median_abs() < 0.10);
  }
  SUBCASE("prefill attention") {
    Errors errors{"prefill attention (all 4)", {}};
    prefill_against_ops(errors, gpu, all);
    errors.summary();
    CHECK(errors.median_abs() < 0.10);
  }
  SUBCASE("fused Gated DeltaNet state update: the read + write floor") {
    // A fused Triton kernel (decay, delta rule, output) against the shipped table's in-place
    // scale of the same state: the floor is below it by the kernel's arithmetic and launches.
    Errors errors{"gdn state update (all 4)", {}};
    for (const json& row : ops()["gdn_decode_state_update_fused"]) {
      const double B = row["B"], heads = row["heads"], dk = row["dk"], dv = row["dv"];
      errors.add(state_update_seconds(gpu, 2.0 * B * heads * dk * dv * 4.0).seconds +
                     overhead(gpu, "state_update"),
                 row["s"], fmt::format("B={}", B));
    }
    errors.summary();
    for (double e : errors.errors) CHECK(e < 0.05);  // a floor: never slower than measured
  }
  SUBCASE("MLA decode written as plain batched products (not a fused MLA kernel)") {
    // The time model treats MLA decode as attention over its latent cache (bandwidth-bound
    // with a FLOP floor); these unfused products are much slower, so they only bound it.
    Errors errors{"mla unfused bmm (all 9)", {}};
    for (const json& row : ops()["mla_decode_unfused_bmm"]) {
      const double B = row["B"], L = row["L"], heads = row["heads"], latent = row["latent"],
                   rope = row["rope"];
      const double flops = B * heads * L * 2.0 * (latent + rope + latent);
      errors.add(decode_attention_seconds(gpu, B, L * (latent + rope) * 2.0, flops).seconds +
                     overhead(gpu, "decode_attention"),
                 row["s"], fmt::format("B={} L={}", B, L));
    }
    errors.summary();
    for (double e : errors.errors) CHECK(e < 0.05);
  }
}

TEST_CASE("measured time model: shapes removed from the fitted tables") {
  if (printing()) fmt::print("\nShapes removed from the shipped tables, predicted vs ops.json:\n");
  SUBCASE("GEMM: each interior weight shape left out in turn") {
    Errors errors{"gemm, shape left out", {}};
    for (const auto& [n, k] : std::vector<std::pair<double, double>>{
             {4096, 4096}, {6144, 4096}, {4096, 14336}, {28672, 4096}}) {
      GpuMeasurements gpu = shipped();
      keep_only(gpu.gemm, [&](const GemmPoint& p) { return !(p.n == n && p.k == k); });
      gemm_against_ops(errors, gpu,
                       [&](const json& row) { return row["N"] == n && row["K"] == k; });
    }
    errors.summary();
    CHECK(errors.median_abs() < 0.15);
  }
  SUBCASE("GEMM: every other M left out") {
    GpuMeasurements gpu = shipped();
    const auto odd = [](double m) {
      return m == 2 || m == 8 || m == 32 || m == 128 || m == 512 || m == 2048 || m == 8192;
    };
    keep_only(gpu.gemm, [&](const GemmPoint& p) { return !odd(p.m); });
    Errors errors{"gemm, M left out", {}};
    gemm_against_ops(errors, gpu, [&](const json& row) { return odd(row["M"]); });
    errors.summary();
    CHECK(errors.median_abs() < 0.12);
  }
  SUBCASE("decode attention: L = 4096 and 65536 left out, then the B = 8 row") {
    const double per_token = 2.0 * 8 * 128 * 2;  // K and V bytes of one token, 8 heads of 128
    Errors contexts{"decode attn, L left out", {}};
    GpuMeasurements gpu = shipped();
    keep_only(gpu.decode_attention, [&](const DecodeAttentionPoint& p) {
      const double L = p.kv_bytes_per_sequence / per_token;
      return L != 4096 && L != 65536;
    });
    decode_against_ops(contexts, gpu,
                       [](const json& row) { return row["L"] == 4096 || row["L"] == 65536; });
    contexts.summary();
    CHECK(contexts.median_abs() < 0.15);
    Errors batch{"decode attn, B=8 left out", {}};
    gpu = shipped();
    keep_only(gpu.decode_attention, [](const DecodeAttentionPoint& p) { return p.batch != 8; });
    decode_against_ops(batch, gpu, [](const json& row) { return row["B"] == 8; });
    batch.summary();
    CHECK(batch.median_abs() < 0.25);
  }
  SUBCASE("prefill attention: T = 4096 and 16384 left out") {
    GpuMeasurements gpu = shipped();
    keep_only(gpu.prefill_attention, [](const FlopsPoint& p) {
      const double f4096 = 4.0 * 32 * 128 * 4096.0 * 4097 / 2,
                   f16384 = 4.0 * 32 * 128 * 16384.0 * 16385 / 2;
      return std::abs(p.flops / f4096 - 1) > 1e-9 && std::abs(p.flops / f16384 - 1) > 1e-9;
    });
    Errors errors{"prefill attn, T left out", {}};
    prefill_against_ops(errors, gpu,
                        [](const json& row) { return row["T"] == 4096 || row["T"] == 16384; });
    errors.summary();
    CHECK(errors.median_abs() < 0.15);
  }
}

TEST_CASE("measured time model: whole Llama-3-8B steps on an H200") {
  const json steps = read_json(source_dir() / "tests/measured/h200-llama-3-8b-steps.json");
  const Architecture llama = load_architecture("llama-3-8b");
  const Hardware h200 = load_hardware("h200");
  if (printing()) fmt::print("\nEnd to end, Llama-3-8B shapes (tools/measure_step.py):\n");
  Errors decode{"decode step (CUDA graph)", {}}, spec{"decode step, spec roofline", {}};
  for (const json& row : steps["decode"]) {
    RooflineOptions options;
    options.batch = row["B"];
    options.context = row["L"];
    const RooflineReport report = roofline(llama, h200, options);
    const std::string point = fmt::format("B={} L={}", options.batch, options.context);
    decode.add(report.decode.seconds(), row["s"], point);
    spec.add(report.decode.spec_seconds(), row["s"], point);
  }
  Errors prefill{"prefill (eager)", {}};
  for (const json& row : steps["prefill"]) {
    RooflineOptions options;
    options.batch = 1;
    options.prefill_tokens = row["T"];
    const RooflineReport report = roofline(llama, h200, options);
    prefill.add(report.prefill.seconds(), row["s"], fmt::format("T={}", options.prefill_tokens));
  }
  decode.summary();
  spec.summary();
  prefill.summary();
  CHECK(decode.max_abs() < 0.25);
  CHECK(prefill.max_abs() < 0.25);
}

}  // namespace attnsim
