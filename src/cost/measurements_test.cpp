// Tests of the measurement file reader and the per-operation interpolation: hand-computed
// efficiencies on a synthetic GPU with round peaks.
#include "cost/measurements.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "tests/support.h"

namespace attnsim {

namespace {
// 100 TFLOP/s, 1 TB/s, 2 µs per in-graph launch.
GpuMeasurements toy() {
  GpuMeasurements gpu;
  gpu.gemm_flops_per_s = 100e12;
  gpu.bandwidth_bytes_per_s = 1e12;
  gpu.graph_launch_seconds = 2e-6;
  return gpu;
}
}  // namespace

TEST_CASE("interpolate_log_x") {
  const std::vector<std::pair<double, double>> points{{1.0, 10.0}, {4.0, 30.0}, {16.0, 40.0}};
  SUBCASE("linear in log x: x = 2 is halfway from 1 to 4") {
    CHECK(*interpolate_log_x(points, 2.0) == doctest::Approx(20.0));
    CHECK(*interpolate_log_x(points, 8.0) == doctest::Approx(35.0));
  }
  SUBCASE("the measured points themselves") {
    CHECK(*interpolate_log_x(points, 1.0) == 10.0);
    CHECK(*interpolate_log_x(points, 16.0) == 40.0);
  }
  SUBCASE("outside the points: none") {
    CHECK_FALSE(interpolate_log_x(points, 0.5).has_value());
    CHECK_FALSE(interpolate_log_x(points, 17.0).has_value());
  }
}

TEST_CASE("gemm_seconds") {
  GpuMeasurements gpu = toy();
  // N = K = 1000. M = 1: roofline max(2e6 / 1e14, 2·(1e3 + 1e6 + 1e3) / 1e12) = 2.004 µs; measured
  // 4.008 µs → efficiency 0.5. M = 100: max(2e8 / 1e14 = 2 µs, 2·(1e5 + 1e6 + 1e5) / 1e12 =
  // 2.4 µs) = 2.4 µs; measured 3 µs → 0.8.
  gpu.gemm = {{1, 1000, 1000, 4.008e-6}, {100, 1000, 1000, 3.0e-6}};
  SUBCASE("between two M: the efficiency interpolated in log M, times the query's roofline") {
    // M = 10 is halfway in log: e = 0.65; roofline max(2e7 / 1e14, 2·(1e4 + 1e6 + 1e4) / 1e12)
    // = 2.04 µs → 2.04 / 0.65 µs.
    const OpSeconds t = gemm_seconds(gpu, 10, 1000, 1000);
    CHECK(t.measured);
    CHECK(t.seconds == doctest::Approx(2.04e-6 / 0.65));
  }
  SUBCASE("between two weight sizes N·K: linear in log N·K") {
    // A second curve at N·K = 4e6 (N = 4000) with e = 0.9 at M = 1 and M = 100:
    // M = 1: roofline 2·(1e3 + 4e6 + 4e3) / 1e12 = 8.01 µs → measured 8.9 µs.
    // M = 100: max(8e8 / 1e14 = 8 µs, 2·(1e5 + 4e6 + 4e5) / 1e12 = 9 µs) → measured 10 µs.
    gpu.gemm.push_back({1, 4000, 1000, 8.01e-6 / 0.9});
    gpu.gemm.push_back({100, 4000, 1000, 9e-6 / 0.9});
    // N·K = 2e6 is halfway in log between 1e6 and 4e6; at M = 1: e = (0.5 + 0.9) / 2 = 0.7.
    // Roofline M = 1, N = 2000: 2·(1e3 + 2e6 + 2e3) / 1e12 = 4.006 µs.
    const OpSeconds t = gemm_seconds(gpu, 1, 2000, 1000);
    CHECK(t.measured);
    CHECK(t.seconds == doctest::Approx(4.006e-6 / 0.7));
  }
  SUBCASE("past the largest M: the last efficiency (saturated)") {
    // M = 1000: roofline max(2e9 / 1e14 = 20 µs, 2·(1e6 + 1e6 + 1e6) / 1e12 = 6 µs) at e = 0.8.
    const OpSeconds t = gemm_seconds(gpu, 1000, 1000, 1000);
    CHECK(t.measured);
    CHECK(t.seconds == doctest::Approx(25e-6));
  }
  SUBCASE("outside the table: the roofline at measured peaks plus one launch") {
    // N·K = 5e5, below every curve. M = 10: max(1e7 / 1e14, 2·(1e4 + 5e5 + 5e3) / 1e12 = 1.03 µs)
    // + 2 µs.
    const OpSeconds t = gemm_seconds(gpu, 10, 500, 1000);
    CHECK_FALSE(t.measured);
    CHECK(t.seconds == doctest::Approx(3.03e-6));
  }
}

TEST_CASE("decode_attention_seconds") {
  GpuMeasurements gpu = toy();
  // Batch 1 at 1 MB and 100 MB of KV per sequence; batch 8 at 1 MB only.
  // e = B·bytes / 1e12 / seconds: 1 µs / 4 µs = 0.25; 100 µs / 125 µs = 0.8; 8 µs / 10 µs = 0.8.
  gpu.decode_attention = {{1, 1e6, 4e-6}, {1, 1e8, 125e-6}, {8, 1e6, 10e-6}};
  SUBCASE("within a batch row: linear in log bytes") {
    // 1e7 is halfway: e = 0.525; roofline 10 µs.
    CHECK(decode_attention_seconds(gpu, 1, 1e7, 0).seconds == doctest::Approx(10e-6 / 0.525));
  }
  SUBCASE("a row past its largest context keeps its last efficiency (saturated)") {
    // Batch 8 at 1e8 per sequence: e = 0.8, roofline 800 µs.
    const OpSeconds t = decode_attention_seconds(gpu, 8, 1e8, 0);
    CHECK(t.measured);
    CHECK(t.seconds == doctest::Approx(800e-6 / 0.8));
  }
  SUBCASE("between batch rows: linear in log B") {
    // B = 2 at 1e6: log2/log8 = 1/3 of the way from 0.25 to 0.8 → e = 0.25 + 0.55/3.
    CHECK(decode_attention_seconds(gpu, 2, 1e6, 0).seconds ==
          doctest::Approx(2e-6 / (0.25 + 0.55 / 3.0)));
  }
  SUBCASE("never faster than its FLOPs at the measured peak (MLA's many heads)") {
    CHECK(decode_attention_seconds(gpu, 1, 1e6, 1e9).seconds == doctest::Approx(10e-6));
  }
  SUBCASE("beyond every batch row: roofline") {
    CHECK_FALSE(decode_attention_seconds(gpu, 16, 1e6, 0).measured);
  }
}

TEST_CASE("prefill_attention_seconds, state_update_seconds, elementwise_seconds") {
  GpuMeasurements gpu = toy();
  // Prefill: 1e12 FLOPs in 20 ms (e = 10 ms / 20 ms = 0.5), 1e14 FLOPs in 1.25 s (0.8).
  gpu.prefill_attention = {{1e12, 0.02}, {1e14, 1.25}};
  // 1e13 FLOPs: halfway, e = 0.65, roofline 0.1 s.
  CHECK(prefill_attention_seconds(gpu, 1e13).seconds == doctest::Approx(0.1 / 0.65));
  // State: 1 MB in 4 µs (0.25), 1 GB in 1.25 ms (0.8); 1e7.5 bytes halfway.
  gpu.state_update = {{1e6, 4e-6}, {1e9, 1.25e-3}};
  const double bytes = 1e6 * std::pow(10.0, 1.5);
  CHECK(state_update_seconds(gpu, bytes).seconds ==
        doctest::Approx(bytes / 1e12 / ((0.25 + 0.8) / 2)));
  // Below the table: roofline + launch, reported as outside.
  const OpSeconds small = state_update_seconds(gpu, 1e5);
  CHECK_FALSE(small.measured);
  CHECK(small.seconds == doctest::Approx(0.1e-6 + 2e-6));
  gpu.elementwise = {{1e3, 1e-6}, {1e6, 2e-6}};
  CHECK(elementwise_seconds(gpu, 1e6).seconds == doctest::Approx(2e-6));
}

TEST_CASE("load_measurements") {
  const testing::ScratchDir dir;
  const std::string head = R"({"format": 1, "device": "toy", "source": "hand", "software": "none",
 "method": "by hand", "peaks": {"gemm_bf16_tflops": 100, "copy_gb_per_s": 900, "read_gb_per_s": 1000},
 "launch": {"standalone_s": 3e-5, "graph_s": 2e-6},
)";
  const std::string tables = R"(
 "decode_attention": [{"B": 1, "L": 1024, "H": 32, "KV": 8, "d": 128, "s": 4e-5}],
 "prefill_attention": [{"T": 1024, "H": 32, "KV": 8, "d": 128, "s": 1e-4}],
 "state_update": [{"B": 1, "heads": 1, "dk": 1, "dv": 1, "bytes_read_plus_write": 8, "s": 1e-5}],
 "elementwise": [{"bytes": 100, "s": 1e-5, "graph_s": 1e-6}]})";
  SUBCASE("kernel times: graph_s, or the standalone time less the table's median launch gap") {
    const auto path = dir.write("m.json", head + R"( "gemm": [
  {"M": 1, "N": 64, "K": 64, "s": 2.0e-5, "graph_s": 1.0e-5},
  {"M": 2, "N": 64, "K": 64, "s": 2.5e-5, "graph_s": 1.0e-5},
  {"M": 4, "N": 64, "K": 64, "s": 3.0e-5, "graph_s": 1.2e-5},
  {"M": 8, "N": 64, "K": 64, "s": 5.0e-5}],)" +
                                              tables);
    const GpuMeasurements gpu = load_measurements(path, "m.json");
    CHECK(gpu.bandwidth_bytes_per_s == doctest::Approx(1000e9));  // the larger of copy and read
    CHECK(gpu.gemm_flops_per_s == doctest::Approx(100e12));
    REQUIRE(gpu.gemm.size() == 4);
    CHECK(gpu.gemm[0].seconds == doctest::Approx(1.0e-5));
    // Gaps 10, 15, 18 µs: median 15 µs; 50 − 15 = 35 µs.
    CHECK(gpu.launch_overhead_seconds.at("gemm") == doctest::Approx(1.5e-5));
    CHECK(gpu.gemm[3].seconds == doctest::Approx(3.5e-5));
    // No graph_s in the table: the launch figures, 30 − 2 = 28 µs; 40 − 28 = 12 µs.
    CHECK(gpu.decode_attention[0].seconds == doctest::Approx(1.2e-5));
    // KV bytes per sequence: 2 (K, V) · 8 heads · 1024 tokens · 128 · 2 bytes.
    CHECK(gpu.decode_attention[0].kv_bytes_per_sequence == 2.0 * 8 * 1024 * 128 * 2);
    // Causal FLOPs: 4 · 32 · 128 · 1024 · 1025 / 2.
    CHECK(gpu.prefill_attention[0].flops == 4.0 * 32 * 128 * 1024 * 1025 / 2);
  }
  SUBCASE("a missing table or a negative time is a user error naming the key") {
    const auto missing = dir.write("missing.json", head + R"( "gemm": [],)" + tables);
    CHECK_THROWS_WITH_AS(load_measurements(missing, "missing.json"), doctest::Contains("gemm"),
                         UserError);
    const auto negative = dir.write(
        "negative.json", head + R"( "gemm": [{"M": 1, "N": 64, "K": 64, "s": -1}],)" + tables);
    CHECK_THROWS_WITH_AS(load_measurements(negative, "negative.json"),
                         doctest::Contains("gemm[0].s"), UserError);
  }
}

}  // namespace attnsim
