// Tests of the KV-cache and state model: hand-computed values with the arithmetic written out,
// on synthetic files (every mixer kind, windows, sharing, dtypes) and on shipped architectures.
#include "cost/memory.h"

#include <doctest/doctest.h>

#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
const MemoryRow& row_at(const MemoryReport& report, std::uint64_t context) {
  for (const auto& row : report.rows)
    if (row.context == context) return row;
  FAIL("no row for context " << context);
  return report.rows.front();
}

std::uint64_t kind_kv(const MemoryRow& row, const std::string& kind) {
  for (const auto& k : row.by_kind)
    if (k.layer_kind == kind) return k.kv_bytes;
  return 0;
}
}  // namespace

TEST_CASE("kv_memory on synthetic architectures") {
  SUBCASE("GQA: Hkv·(Dk+Dv)·bytes per layer and token, × context × batch") {
    const auto arch = load_text(
        architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}",
                          "  mixer: attn", 3));
    const auto report = kv_memory(arch, {100}, 4);
    // 3 layers × 2 heads × (64 + 64) × 2 bytes = 1,536 B/token
    CHECK(report.kv_bytes_per_token == 1536);
    // 1,536 × 100 tokens × 4 sequences = 614,400
    CHECK(report.rows[0].kv_bytes == 614400);
    CHECK(report.rows[0].state_bytes == 0);
    CHECK(report.rows[0].saving_vs_full_attention() == doctest::Approx(0.0));
  }
  SUBCASE("Dk != Dv") {
    const auto arch = load_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 4, head_dim_k: 96, head_dim_v: 64}",
        "  mixer: attn", 1));
    // 4 × (96 + 64) × 2 = 1,280
    CHECK(kv_memory(arch, {1}, 1).kv_bytes_per_token == 1280);
  }
  SUBCASE("sliding window caps the cache at W tokens: min(L, W)") {
    const auto arch = load_text(architecture_yaml(
        "  local: {kind: softmax_attn, n_heads: 2, n_kv_heads: 1, head_dim: 8, window: 10}\n"
        "  global: {kind: softmax_attn, n_heads: 2, n_kv_heads: 1, head_dim: 8}",
        "  mixer: {repeat: [local, global]}", 2));
    const auto report = kv_memory(arch, {5, 10, 11, 1000}, 1);
    // per layer and token: 1 × (8 + 8) × 2 = 32 B
    CHECK(row_at(report, 5).kv_bytes == 32 * 5 + 32 * 5);
    CHECK(row_at(report, 10).kv_bytes == 32 * 10 + 32 * 10);
    CHECK(row_at(report, 11).kv_bytes == 32 * 10 + 32 * 11);
    CHECK(row_at(report, 1000).kv_bytes == 32 * 10 + 32 * 1000);
    CHECK(kind_kv(row_at(report, 1000), "sliding_attn") == 320);
    // baseline: both layers full → 2 × 32 × 1000 = 64,000; saving 1 − 32,320 / 64,000
    CHECK(*row_at(report, 1000).full_attention_bytes == 64000);
    CHECK(*row_at(report, 1000).saving_vs_full_attention() ==
          doctest::Approx(1.0 - 32320.0 / 64000.0));
    CHECK(report.kv_bytes_per_token == 64);  // before caps
  }
  SUBCASE("chunked local attention keeps at most one chunk") {
    const auto arch = load_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 2, n_kv_heads: 1, head_dim: 8, chunk: 16}",
        "  mixer: attn", 1));
    CHECK(kv_memory(arch, {100}, 1).rows[0].kv_bytes == 32 * 16);
    CHECK(count_layer_kinds(arch).at("chunked_attn") == 1);
  }
  SUBCASE("MLA caches kv_lora_rank + qk_rope_head_dim per token") {
    const auto arch = load_text(architecture_yaml(
        "  mla: {kind: mla, n_heads: 16, q_lora_rank: 0, kv_lora_rank: 256, qk_nope_head_dim: 64, "
        "qk_rope_head_dim: 32, v_head_dim: 64}",
        "  mixer: mla", 2));
    // 2 layers × (256 + 32) × 2 bytes = 1,152
    CHECK(kv_memory(arch, {1}, 1).kv_bytes_per_token == 1152);
  }
  SUBCASE("DSA adds the indexer keys in their own dtype plus scale bytes") {
    const auto arch = load_text(architecture_yaml(
        "  dsa:\n    kind: dsa\n    attention: {kind: mla, n_heads: 16, q_lora_rank: 0, "
        "kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128}\n"
        "    indexer: {n_heads: 64, head_dim: 128, topk: 2048, key_dtype: fp8, "
        "key_scale_bytes_per_token: 4}",
        "  mixer: dsa", 1));
    const auto report = kv_memory(arch, {1000}, 1);
    // (512 + 64) × 2 bytes + 128 × 1 byte + 4 scale bytes = 1,152 + 132 = 1,284
    CHECK(report.kv_bytes_per_token == 1284);
    // The dense-MLA baseline has no indexer: 1 − 1,284 / 1,152 < 0 (DSA saves FLOPs, not memory)
    CHECK(*report.rows[0].full_attention_bytes == 1152 * 1000);
    CHECK(*report.rows[0].saving_vs_full_attention() < 0.0);
    // --kv-dtype does not change the indexer's own fp8: (576 × 1 byte) + 132 = 708
    CHECK(kv_memory(arch, {1}, 1, {DType::fp8, {}, {}}).kv_bytes_per_token == 708);
  }
  SUBCASE("Gated DeltaNet: HV·K·V state + (k−1)·(2·H·K + HV·V) conv state") {
    const auto arch = load_text(architecture_yaml(
        "  gdn: {kind: gated_deltanet, n_qk_heads: 2, n_v_heads: 4, head_dim_k: 8, head_dim_v: 16, "
        "conv_kernel: 4}",
        "  mixer: gdn", 1));
    const auto report = kv_memory(arch, {1, 1000}, 3);
    // state 4 × 8 × 16 = 512 fp32 → 2,048 B; conv 3 × (2·2·8 + 4·16) = 3 × 96 = 288 bf16 → 576 B
    CHECK(report.state_bytes_per_sequence == 2048 + 576);
    CHECK(report.rows[1].state_bytes == (2048 + 576) * 3);
    CHECK(report.rows[0].state_bytes == report.rows[1].state_bytes);  // constant in L
    CHECK(report.kv_bytes_per_token == 0);
    // No attention anywhere: no baseline.
    CHECK_FALSE(report.rows[0].saving_vs_full_attention().has_value());
  }
  SUBCASE("Mamba-2: H·P·N + (k−1)·(H·P + 2·G·N)") {
    const auto arch = load_text(architecture_yaml(
        "  m: {kind: mamba2, n_heads: 4, head_dim: 8, state_size: 16, n_groups: 2, conv_kernel: 4}",
        "  mixer: m", 1));
    // state 4·8·16 = 512 fp32 → 2,048; conv 3 × (32 + 2·2·16) = 3 × 96 = 288 bf16 → 576
    CHECK(kv_memory(arch, {1}, 1).state_bytes_per_sequence == 2048 + 576);
  }
  SUBCASE("Mamba-1: d_inner·N + (k−1)·d_inner") {
    const auto arch = load_text(architecture_yaml(
        "  m: {kind: mamba1, d_inner: 64, state_size: 16, conv_kernel: 4}", "  mixer: m", 1));
    // 64·16 = 1,024 fp32 → 4,096; 3 × 64 = 192 bf16 → 384
    CHECK(kv_memory(arch, {1}, 1).state_bytes_per_sequence == 4096 + 384);
  }
  SUBCASE("lightning: H·D·D state, no conv") {
    const auto arch = load_text(architecture_yaml(
        "  l: {kind: lightning, n_heads: 4, head_dim: 16, slopes: ling}", "  mixer: l", 1));
    // 4 × 16 × 16 = 1,024 fp32 → 4,096
    CHECK(kv_memory(arch, {1}, 1).state_bytes_per_sequence == 4096);
  }
  SUBCASE("hybrid baseline: linear layers become the model's attention layer") {
    const auto arch = load_text(architecture_yaml(
        "  gdn: {kind: gated_deltanet, n_qk_heads: 2, n_v_heads: 2, head_dim_k: 8, head_dim_v: 8, "
        "conv_kernel: 4}\n"
        "  attn: {kind: gated_attn, n_heads: 4, n_kv_heads: 1, head_dim: 16}",
        "  mixer: {repeat: [gdn, gdn, gdn, attn]}", 8));
    const auto row = kv_memory(arch, {1000}, 1).rows[0];
    // attention per layer and token 1 × 32 × 2 = 64 B. Hybrid: 2 layers; baseline: 8 layers.
    CHECK(row.kv_bytes == 2 * 64 * 1000);
    CHECK(*row.full_attention_bytes == 8 * 64 * 1000);
  }
  SUBCASE("parallel hybrid keeps both a KV cache and a state") {
    const auto arch = load_text(architecture_yaml(
        "  p:\n    kind: parallel_hybrid\n"
        "    attention: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}\n"
        "    ssm: {kind: mamba2, n_heads: 2, head_dim: 8, state_size: 4, n_groups: 1, conv_kernel: "
        "2}",
        "  mixer: p", 1));
    const auto report = kv_memory(arch, {10}, 1);
    // KV 2 × 16 × 2 = 64 B/token; state 2·8·4 = 64 fp32 = 256 B + conv 1 × (16 + 8) bf16 = 48 B
    CHECK(report.kv_bytes_per_token == 64);
    CHECK(report.state_bytes_per_sequence == 256 + 48);
    CHECK(*report.rows[0].full_attention_bytes == 640);
  }
  SUBCASE("cross-layer KV sharing: a sharing layer adds no KV") {
    const auto arch = load_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 2, n_kv_heads: 1, head_dim: 8}",
        "  mixer: attn\n  overrides:\n    - {layers: [2, 3], kv_shared_from: 1}", 4));
    // 2 owning layers × 32 B
    CHECK(kv_memory(arch, {1}, 1).kv_bytes_per_token == 64);
  }
  SUBCASE("dtype overrides: int4 KV, fp8 state") {
    const auto arch = load_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 2, n_kv_heads: 1, head_dim: 8}\n"
        "  m: {kind: mamba2, n_heads: 2, head_dim: 4, state_size: 4, n_groups: 1, conv_kernel: 2}",
        "  mixer: {repeat: [attn, m]}", 2));
    const auto report = kv_memory(arch, {1}, 1, {DType::int4, DType::fp8, DType::fp32});
    // KV 16 elements × 4 bits = 8 B; state 2·4·4 = 32 × 1 B; conv 1 × (8 + 8) = 16 × 4 B = 64
    CHECK(report.kv_bytes_per_token == 8);
    CHECK(report.state_bytes_per_sequence == 32 + 64);
  }
  SUBCASE("sizes that overflow 64 bits are errors, not wrapped numbers") {
    const auto arch = load_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 1048576, n_kv_heads: 1048576, head_dim: 1048576}",
        "  mixer: attn", 1));
    // 2^20 × 2^21 × 2 bytes = 2^42 B/token; × 2^30 tokens × 2^12 sequences = 2^84
    CHECK_THROWS_WITH_AS(kv_memory(arch, {1ull << 30}, 4096),
                         doctest::Contains("does not fit in 64 bits"), UserError);
  }
}

TEST_CASE("kv_memory on shipped architectures (hand-computed)") {
  SUBCASE("Llama 3 8B: 32 layers × 2 × 8 kv heads × 128 × 2 bytes = 131,072 B/token") {
    const auto report = kv_memory(load_architecture("llama-3-8b"), {8192}, 1);
    CHECK(report.kv_bytes_per_token == 131072);
    CHECK(report.rows[0].kv_bytes == 131072ull * 8192);  // 1 GiB at 8K
  }
  SUBCASE("DeepSeek V3: 61 × (512 + 64) × 2 bytes = 70,272 B/token") {
    CHECK(kv_memory(load_architecture("deepseek-v3"), {1}, 1).kv_bytes_per_token == 70272);
  }
  SUBCASE("Qwen3-Next: 12 × 2 × 2 × 256 × 2 = 24,576 B/token, plus its GDN state") {
    const auto report = kv_memory(load_architecture("qwen3-next-80b-a3b"), {1}, 1);
    CHECK(report.kv_bytes_per_token == 24576);
    // per GDN layer: state 32 × 128 × 128 = 524,288; conv 3 × (2·16·128 + 32·128) = 24,576;
    // 548,864 elements × 2 bytes (bf16) × 36 layers = 39,518,208
    CHECK(report.state_bytes_per_sequence == 39518208);
  }
  SUBCASE("Gemma 3 27B: windows cap 52 of 62 layers at 1,024 tokens") {
    const auto report = kv_memory(load_architecture("gemma-3-27b"), {4096, 32768, 131072}, 1);
    // per layer and token: 2 × 16 × 128 × 2 = 8,192 B
    // 4K:   10 × 4,096 × 8,192 + 52 × 1,024 × 8,192 = 335,544,320 + 436,207,616 = 771,751,936
    CHECK(row_at(report, 4096).kv_bytes == 771751936);
    // 32K:  10 × 32,768 × 8,192 + 436,207,616 = 2,684,354,560 + 436,207,616 = 3,120,562,176
    CHECK(row_at(report, 32768).kv_bytes == 3120562176);
    // 128K: 10 × 131,072 × 8,192 + 436,207,616 = 10,737,418,240 + 436,207,616 = 11,173,625,856
    CHECK(row_at(report, 131072).kv_bytes == 11173625856ull);
  }
  SUBCASE("Nemotron 3 Nano: 6 attention layers, 23 Mamba-2 layers with fp32 state") {
    const auto report = kv_memory(load_architecture("nemotron-3-nano-30b-a3b"), {1}, 1);
    // KV: 6 × 2 × 2 × 128 × 2 = 6,144 B/token
    CHECK(report.kv_bytes_per_token == 6144);
    // Mamba-2 per layer: state 64 × 64 × 128 = 524,288 × 4 B (fp32) = 2,097,152;
    // conv 3 × (64·64 + 2·8·128) = 3 × 6,144 = 18,432 × 2 B (bf16) = 36,864;
    // × 23 layers = 23 × 2,134,016 = 49,082,368
    CHECK(report.state_bytes_per_sequence == 49082368);
  }
  SUBCASE("Kimi Linear: 7 MLA + 20 KDA") {
    const auto report = kv_memory(load_architecture("kimi-linear-48b-a3b"), {1}, 1);
    // 7 × (512 + 64) × 2 = 8,064 B/token
    CHECK(report.kv_bytes_per_token == 8064);
    // KDA per layer: 32 × 128 × 128 = 524,288; conv 3 × (2·32·128 + 32·128) = 36,864;
    // 561,152 × 2 bytes × 20 layers = 22,446,080
    CHECK(report.state_bytes_per_sequence == 22446080);
    CHECK(report.layers.at("kda") == 20);
    CHECK(report.layers.at("mla") == 7);
  }
}

}  // namespace attnsim
