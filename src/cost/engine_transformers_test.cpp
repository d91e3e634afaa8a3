// The transformers profile (configs/engines/transformers.yaml) against worked examples from
// transformers' source: W − 1 sliding tokens, K conv columns, fp32 recurrent states, DSA's
// expanded K/V and bf16 indexer keys, MLA latents kept compressed.
#include <doctest/doctest.h>

#include "cost/engine.h"
#include "graph/load.h"

namespace attnsim {

namespace {
std::uint64_t kind_state(const MemoryRow& row, const std::string& kind) {
  for (const auto& k : row.by_kind)
    if (k.layer_kind == kind) return k.state_bytes;
  return 0;
}
std::uint64_t kind_layers(const MemoryRow& row, const std::string& kind) {
  for (const auto& k : row.by_kind)
    if (k.layer_kind == kind) return k.n_layers;
  return 0;
}
}  // namespace

TEST_CASE("engine_memory under transformers") {
  const EngineProfile transformers = load_engine_profile("transformers");

  SUBCASE("Qwen3-Next: K conv columns in bf16, fp32 recurrent state (Qwen3_5GatedDeltaNet)") {
    const auto arch = load_architecture("qwen3-next-80b-a3b");
    const auto report = engine_memory(arch, {1000}, 2, transformers);
    // GDN layer: recurrent (Hv, Dk, Dv) = 32 × 128 × 128 = 524,288 fp32 = 2,097,152 B
    //   conv K = 4 columns × (2·16·128 + 32·128 = 8,192) = 32,768 bf16 = 65,536 B
    //   2,162,688 B per layer × 36 layers = 77,856,768 B per sequence
    CHECK(report.state_bytes_per_sequence == 77856768);
    CHECK(report.rows[0].state_bytes == 2 * 77856768);
    // paper: (524,288 + 3 × 8,192) × 2 B = 1,097,728 × 36 = 39,518,208
    CHECK(kv_memory(arch, {1000}, 1).state_bytes_per_sequence == 39518208);
    // attention is the paper's DynamicLayer: 12 × 2 × 2 heads × 256 × 2 B = 24,576 B per token,
    // one-token growth: 24,576 × 1,000 × 2 sequences
    CHECK(report.kv_bytes_per_token == 24576);
    CHECK(report.rows[0].kv_bytes == 24576ull * 1000 * 2);
  }
  SUBCASE("Gemma 3 27B: DynamicSlidingWindowLayer keeps W − 1 = 1,023 tokens") {
    const auto arch = load_architecture("gemma-3-27b");
    const auto report = engine_memory(arch, {1000, 32768}, 1, transformers);
    // 1,000 < 1,023: every one of 62 layers (2 × 16 × 128 × 2 B = 8,192 B) holds 1,000 tokens
    CHECK(report.rows[0].kv_bytes == 62ull * 8192 * 1000);
    // 32K: 52 sliding × 8,192 × 1,023 + 10 global × 8,192 × 32,768
    //    = 435,781,632 + 2,684,354,560 = 3,120,136,192 (the paper's W = 1,024: 3,120,562,176)
    CHECK(report.rows[1].kv_bytes == 3120136192ull);
  }
  SUBCASE("Llama 4 Maverick: chunked layers are sliding windows of C − 1 = 8,191 tokens") {
    const auto arch = load_architecture("llama-4-maverick");
    const auto report = engine_memory(arch, {32768}, 1, transformers);
    // 2 × 8 heads × 128 × 2 B = 4,096 B per token and layer
    // 36 chunked × 4,096 × 8,191 = 1,207,812,096; 12 global × 4,096 × 32,768 = 1,610,612,736
    CHECK(report.rows[0].kv_bytes == 1207812096ull + 1610612736ull);
  }
  SUBCASE("DeepSeek V3.2: expanded per-head K and V, bf16 indexer keys") {
    const auto arch = load_architecture("deepseek-v3.2");
    const auto report = engine_memory(arch, {1000}, 1, transformers);
    // per layer and token: K 128 heads × (128 + 64) = 24,576, V 128 × 128 = 16,384;
    // 40,960 bf16 = 81,920 B; indexer keys 128 bf16 = 256 B (no fp8, no scale): 82,176 B
    // × 61 layers = 5,012,736 B per token (paper: 61 × (576 × 2 + 132) = 78,324)
    CHECK(report.kv_bytes_per_token == 5012736);
    CHECK(report.rows[0].kv_bytes == 5012736ull * 1000);
    CHECK(kv_memory(arch, {1000}, 1).kv_bytes_per_token == 78324);
  }
  SUBCASE("GLM-5: the DeepSeek V3.2 attention it inherits, with its own head sizes") {
    const auto report = engine_memory(load_architecture("glm-5"), {1}, 1, transformers);
    // K 64 × (192 + 64) = 16,384, V 64 × 256 = 16,384: 32,768 bf16 = 65,536 B + 256 B indexer
    // = 65,792 B × 78 layers = 5,131,776 B per token
    CHECK(report.kv_bytes_per_token == 5131776);
  }
  SUBCASE("DeepSeek V3: the MLA latent is cached compressed, as the paper counts it") {
    const auto report = engine_memory(load_architecture("deepseek-v3"), {4096}, 1, transformers);
    // 61 layers × (512 + 64) × 2 B = 70,272 B per token
    CHECK(report.kv_bytes_per_token == 70272);
    CHECK(report.rows[0].kv_bytes == 70272ull * 4096);
  }
  SUBCASE("Bamba 9B: Mamba-2 conv of K columns, fp32 SSM state") {
    const auto arch = load_architecture("bamba-9b");
    const auto report = engine_memory(arch, {1}, 1, transformers);
    // SSM (H, P, N) = 128 × 64 × 128 = 1,048,576 fp32 = 4,194,304 B
    // conv 4 × (d_inner 8,192 + 2 × 1 × 128) = 33,792 bf16 = 67,584 B; 4,261,888 B per layer
    const std::uint64_t layers = kind_layers(report.rows[0], "mamba2");
    REQUIRE(layers > 0);
    CHECK(kind_state(report.rows[0], "mamba2") == layers * 4261888);
  }
  SUBCASE("Jamba 1.5 Mini: Mamba-1 conv of K columns, fp32 SSM state") {
    const auto arch = load_architecture("jamba-1.5-mini");
    const auto report = engine_memory(arch, {1}, 1, transformers);
    // SSM d_inner × N = 8,192 × 16 = 131,072 fp32 = 524,288 B; conv 4 × 8,192 bf16 = 65,536 B
    const std::uint64_t layers = kind_layers(report.rows[0], "mamba1");
    REQUIRE(layers > 0);
    CHECK(kind_state(report.rows[0], "mamba1") == layers * 589824);
  }
  SUBCASE("Kimi Linear: fp32 KDA state, K conv columns; its MLA layers as the paper") {
    const auto arch = load_architecture("kimi-linear-48b-a3b");
    const auto report = engine_memory(arch, {1}, 1, transformers);
    // KDA: recurrent 32 × 128 × 128 = 524,288 fp32 = 2,097,152 B;
    //   conv 4 × (2·32·128 + 32·128 = 12,288) = 49,152 bf16 = 98,304 B; × 20 layers
    CHECK(kind_state(report.rows[0], "kda") == 20ull * (2097152 + 98304));
    CHECK(report.kv_bytes_per_token == kv_memory(arch, {1}, 1).kv_bytes_per_token);
  }
}

}  // namespace attnsim
