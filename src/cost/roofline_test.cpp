// Tests of the hardware presets, the roofline and fit: hand-computed traffic and times on a
// synthetic model and a synthetic GPU, the expert-spread formula, and TP properties.
#include "cost/roofline.h"

#include <doctest/doctest.h>

#include "core/error.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
const char* kGqa = "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}";
const char* kMla =
    "  m: {kind: mla, n_heads: 4, kv_lora_rank: 16, qk_nope_head_dim: 8, qk_rope_head_dim: 4,"
    " v_head_dim: 8}";

// 1 TFLOP/s bf16, 1 GB/s, 0.01 GB: round numbers for hand computation.
Hardware toy_gpu(const testing::ScratchDir& dir) {
  return load_hardware(dir.write("toy.yaml", R"(display_name: Toy
peak_dense_tflops: {bf16: 1}
memory_bandwidth_gb_per_s: 1
memory_capacity_gb: 0.01
sources: [hand-written test preset]
)")
                           .string());
}
}  // namespace

TEST_CASE("load_hardware") {
  SUBCASE("every shipped preset loads, cites a source and has a bf16 peak") {
    const auto files = list_hardware_files();
    CHECK(files.size() >= 8);
    for (const auto& file : files) {
      CAPTURE(file.string());
      const Hardware hardware = load_hardware(file.string());
      CHECK_FALSE(hardware.sources.empty());
      CHECK(hardware.peak_for("bf16") > 0.0);
      CHECK(hardware.memory_bandwidth_bytes_per_s > 0.0);
      CHECK(hardware.memory_capacity_bytes > 0);
    }
  }
  SUBCASE("the H100 SXM preset: 989.5 dense bf16 TFLOP/s, 3.35 TB/s, 80 GB (NVIDIA datasheet)") {
    const Hardware h100 = load_hardware("h100-sxm");
    CHECK(h100.peak_for("bf16") == doctest::Approx(989.5e12));
    CHECK(h100.memory_bandwidth_bytes_per_s == doctest::Approx(3.35e12));
    CHECK(h100.memory_capacity_bytes == 80000000000ULL);
  }
  SUBCASE("unknown keys and dtypes are rejected") {
    const testing::ScratchDir dir;
    CHECK_THROWS_AS(load_hardware(dir.write("a.yaml",
                                            "display_name: A\npeak_dense_tflops: "
                                            "{bf16: 1}\nmemory_bandwidth_gbps: 1\n"
                                            "memory_capacity_gb: 1\nsources: [x]\n")
                                      .string()),
                    UserError);
    CHECK_THROWS_AS(load_hardware(dir.write("b.yaml",
                                            "display_name: B\npeak_dense_tflops: "
                                            "{bf17: 1}\nmemory_bandwidth_gb_per_s: 1\n"
                                            "memory_capacity_gb: 1\nsources: [x]\n")
                                      .string()),
                    UserError);
  }
}

TEST_CASE("expected_experts_touched") {
  // E·(1 − (1 − k/E)^n): 8·(1 − 0.75) = 2 for one token; 8·(1 − 0.5625) = 3.5 for two
  CHECK(expected_experts_touched(8, 2, 1) == doctest::Approx(2.0));
  CHECK(expected_experts_touched(8, 2, 2) == doctest::Approx(3.5));
  // a large batch touches (almost) every expert
  CHECK(expected_experts_touched(8, 2, 1000) == doctest::Approx(8.0));
}

TEST_CASE("rank_cache_bytes") {
  SUBCASE("GQA splits kv heads, replicates beyond tp > Hkv") {
    const auto arch = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
    // 2 kv heads × (64 + 64) × 2 bytes × 100 tokens = 51,200
    CHECK(rank_cache_bytes(arch, 100, 1, 1, {}).kv_bytes == 51200);
    CHECK(rank_cache_bytes(arch, 100, 1, 2, {}).kv_bytes == 25600);
    // tp 4 > Hkv 2: each rank keeps one whole kv head
    CHECK(rank_cache_bytes(arch, 100, 1, 4, {}).kv_bytes == 25600);
  }
  SUBCASE("MLA's latent is replicated on every rank") {
    const auto arch = load_text(architecture_yaml(kMla, "  mixer: m", 1));
    // (16 + 4) × 2 bytes × 100 = 4,000 at any tp
    CHECK(rank_cache_bytes(arch, 100, 1, 1, {}).kv_bytes == 4000);
    CHECK(rank_cache_bytes(arch, 100, 1, 8, {}).kv_bytes == 4000);
  }
  SUBCASE("TP never increases per-rank bytes (hybrid, MLA, Mamba, SWA models)") {
    for (const char* name : {"qwen3-next-80b-a3b", "deepseek-v3", "nemotron-3-nano-30b-a3b",
                             "gemma-3-27b", "kimi-linear-48b-a3b"}) {
      CAPTURE(name);
      const Architecture arch = load_architecture(name);
      std::uint64_t previous = UINT64_MAX;
      for (std::uint64_t tp : {1, 2, 4, 8, 16}) {
        const RankCache c = rank_cache_bytes(arch, 32768, 2, tp, {});
        CHECK(c.kv_bytes + c.state_bytes <= previous);
        previous = c.kv_bytes + c.state_bytes;
      }
    }
  }
}

TEST_CASE("roofline") {
  const testing::ScratchDir dir;
  const Hardware gpu = toy_gpu(dir);
  const auto arch = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
  RooflineOptions options;
  options.context = 100;
  options.prefill_tokens = 10;
  const RooflineReport report = roofline(arch, gpu, options);
  SUBCASE("decode of one sequence at L = 100, by hand") {
    // weights: 1,680,384 params − 512,000 embedding table + one 512-wide row = 1,168,896
    // × 2 bytes = 2,337,792; KV 51,200; activations 1 block × 4 × 512 = 2,048
    CHECK(report.decode.bytes.weight_bytes == doctest::Approx(2337792.0));
    CHECK(report.decode.bytes.kv_bytes == doctest::Approx(51200.0));
    CHECK(report.decode.bytes.activation_bytes == doctest::Approx(2048.0));
    // FLOPs: projections 1,310,720 + scores/av 2 × 102,400 + lm head 1,024,000 = 2,539,520
    CHECK(report.decode.flops == doctest::Approx(2539520.0));
    // memory 2,391,040 B / 1e9 B/s = 2.39104 ms > compute 2.54 µs: memory bound
    CHECK(report.decode.memory_seconds == doctest::Approx(2.39104e-3));
    CHECK(report.decode.memory_bound());
    CHECK(report.decode.tokens_per_second == doctest::Approx(1.0 / 2.39104e-3));
  }
  SUBCASE("more batch never lowers decode throughput; TP never raises per-rank bytes") {
    RooflineOptions bigger = options;
    bigger.batch = 8;
    CHECK(roofline(arch, gpu, bigger).decode.tokens_per_second >= report.decode.tokens_per_second);
    RooflineOptions split = options;
    split.tp = 2;
    CHECK(roofline(arch, gpu, split).decode.bytes.total() <= report.decode.bytes.total());
  }
  SUBCASE("the MoE line only for models with routed experts") {
    CHECK_FALSE(report.has_experts);
    const auto dense = testing::run({"roofline", "llama-3-8b", "--hw", "h100-sxm"});
    REQUIRE(dense.exit_code == 0);
    CHECK(dense.out.find("MoE:") == std::string::npos);
    const auto moe = testing::run({"roofline", "qwen3-235b-a22b", "--hw", "h200", "--tp", "8"});
    REQUIRE(moe.exit_code == 0);
    CHECK(moe.out.find("MoE: a decode batch of 1") != std::string::npos);
  }
}

TEST_CASE("fit_context and fit_batch") {
  const testing::ScratchDir dir;
  const Hardware gpu = toy_gpu(dir);
  const auto arch = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
  // capacity 10,000,000 − reserve 1,000,000 − weights 1,680,384 × 2 = 3,360,768 → 5,639,232
  const FitBudget budget = fit_budget(arch, gpu, {});
  CHECK(budget.cache_budget_bytes == 5639232);
  SUBCASE("largest context at batch 1: floor(5,639,232 / 512 B per token) = 11,014") {
    CHECK(fit_context(arch, gpu, {}, 1, 1 << 20).value == 11014u);
  }
  SUBCASE("largest batch at context 1000: floor(5,639,232 / 512,000) = 11") {
    CHECK(fit_batch(arch, gpu, {}, 1000, 1 << 20).value == 11u);
  }
  SUBCASE("nothing fits when the weights exceed the capacity") {
    FitOptions fp32;
    fp32.weights_dtype = DType::fp32;
    fp32.activation_reserve_fraction = 0.9;
    CHECK_FALSE(fit_context(arch, gpu, fp32, 1, 1 << 20).value.has_value());
  }
}

}  // namespace attnsim
