// Tests of the FLOPs and decode-time figures: CSV values against hand-computed counts on a tiny
// synthetic architecture, the SI-prefixed FLOP ticks, and the conventions the figure states.
#include "report/cost_plot.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "tests/support.h"

namespace attnsim::report {

using testing::architecture_yaml;
using testing::load_text;

namespace {
// One GQA layer: D = 512, Hq = 8, Hkv = 2, head dim 64, vocab 1000, no FFN.
const char* kGqa = "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}";
}  // namespace

TEST_CASE("prefill_flops_figure") {
  const auto tiny = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
  SUBCASE("CSV holds the hand-computed prefill FLOPs at T = 1K and 2K (causal half)") {
    const auto files =
        prefill_flops_figure({tiny}, {1024, 2048}, {}, "", ImageFormat::svg, "f.csv", "f.svg");
    // T = 1024: pairs T(T+1)/2 = 524,800; scores = av = 2 × Hq·Dh (512) × 524,800
    //   = 537,395,200 each; projections q,k,v,o = 512·512 + 2·512·128 + 512·512 = 655,360
    //   weights × 2 × 1024 = 1,342,177,280; lm head 2 × 1000 × 512 × 1024 = 1,048,576,000.
    //   Total 2 × 537,395,200 + 1,342,177,280 + 1,048,576,000 = 3,465,543,680.
    CHECK(files.csv.find("1024,3.46554368e+09\n") != std::string::npos);
    // T = 2048: pairs 2,098,176 → 2 × 2 × 512 × 2,098,176 = 4,297,064,448; projections
    //   2 × 655,360 × 2048 = 2,684,354,560; lm head 2,097,152,000. Total 9,078,571,008.
    CHECK(files.csv.find("2048,9.07857101e+09\n") != std::string::npos);
    CHECK(files.csv.rfind("context_tokens,test prefill FLOPs\n", 0) == 0);
  }
  SUBCASE("causal full counts every pair: T² = 1,048,576 at T = 1K") {
    FlopOptions full;
    full.causal = CausalConvention::full;
    const auto files =
        prefill_flops_figure({tiny}, {1024}, full, "", ImageFormat::svg, "f.csv", "f.svg");
    // scores = av = 2 × 512 × 1,048,576 = 1,073,741,824; total 2,147,483,648 +
    //   1,342,177,280 + 1,048,576,000 = 4,538,236,928.
    CHECK(files.csv.find("1024,4.53823693e+09\n") != std::string::npos);
    CHECK(files.script.find("masked pairs counted") != std::string::npos);
  }
  SUBCASE("script: log-log, convention in the title, SI ticks") {
    const auto files =
        prefill_flops_figure({tiny}, {1024, 2048}, {}, "", ImageFormat::png, "f.csv", "f.png");
    CHECK(files.script.find("set logscale x 2\n") != std::string::npos);
    CHECK(files.script.find("set logscale y 10\n") != std::string::npos);
    CHECK(files.script.find("causal: masked pairs skipped, T(T+1)/2 (FlashAttention)") !=
          std::string::npos);
    // Powers of ten written out: an SI "T" (tera) would read as the context length T.
    CHECK(files.script.find("set ytics ('10^9' 1000000000, '10^10' 10000000000)") !=
          std::string::npos);
    CHECK(files.script.find("set xtics ('1K' 1024, '2K' 2048)") != std::string::npos);
  }
}

TEST_CASE("flop_ticks") {
  SUBCASE("7.5e12 to 1.2e17: 10^12 up to 10^18, each decade once, no SI letters") {
    const auto ticks = flop_ticks(7.5e12, 1.2e17);
    REQUIRE(ticks.size() == 7);
    CHECK(ticks.front().label == "10^12");
    CHECK(ticks.front().value == 1e12);
    CHECK(ticks[3].label == "10^15");
    CHECK(ticks.back().label == "10^18");
    CHECK(ticks.back().value == 1e18);
    for (const auto& tick : ticks) CHECK(tick.label.find_first_of("TPEGK") == std::string::npos);
  }
  SUBCASE("below one FLOP starts at 10^0") { CHECK(flop_ticks(0.5, 20).front().label == "10^0"); }
}

TEST_CASE("decode_time_figure") {
  const auto tiny = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
  Hardware gpu;
  gpu.name = "toy";
  gpu.display_name = "Toy GPU";
  gpu.peak_flops_per_s = {{"bf16", 1e12}};
  gpu.memory_bandwidth_bytes_per_s = 1e9;
  gpu.memory_capacity_bytes = 1000000000;
  DecodePlotOptions options;
  const auto files =
      decode_time_figure({tiny}, {100}, gpu, options, ImageFormat::svg, "d.csv", "d.svg");
  // Decode at L = 100, batch 1, bf16 (2 bytes per value), as in cost/roofline_test.cpp.
  //   Weights read: 1,680,384 params − 512,000 embedding table + one 512-wide row = 1,168,896
  //   × 2 B = 2,337,792; KV 100 tokens × 2 (k,v) × 2 heads × 64 × 2 B = 51,200; activations
  //   4·D = 2,048. Total 2,391,040 B / 1e9 B/s = 2.39104 ms.
  // FLOPs: projections 1,310,720 + scores/av 2 × 2 × 512 × 100 = 204,800 + lm head 1,024,000
  //   = 2,539,520 / 1e12 = 0.0025 ms: memory-bound (bound column 1), 2.39104 ms.
  CHECK(files.csv.find("100,2.39104,1\n") != std::string::npos);
  CHECK(files.script.find("batch 1, TP 1, bf16 peak 1 TFLOP/s, 1 GB/s") != std::string::npos);
}

TEST_CASE("run_plot: flops and decode") {
  const testing::ScratchDir dir;
  const auto file = dir.write("tiny.yaml", architecture_yaml(kGqa, "  mixer: attn", 1));
  SUBCASE("flops: the CSV beside the figure holds the prefill FLOPs (0 or 4: gnuplot optional)") {
    const auto image = dir.path() / "flops.svg";
    const auto result =
        testing::run({"plot", "flops", file.string(), "--context", "1k", "-o", image.string()});
    CHECK((result.exit_code == 0 || result.exit_code == 4));
    std::ifstream in(dir.path() / "flops.svg.csv");
    const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(csv.find("1024,3.46554368e+09\n") != std::string::npos);  // as prefill_flops_figure
  }
  SUBCASE("decode: an unknown preset is a user error") {
    const auto result = testing::run({"plot", "decode", file.string(), "--hw", "no-such-gpu", "-o",
                                      (dir.path() / "d.svg").string()});
    CHECK(result.exit_code != 0);
    CHECK(result.exit_code != 4);
  }
}

}  // namespace attnsim::report
