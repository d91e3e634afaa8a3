// Hymba-1.5B (architectures/hymba-1.5b.yaml): 128 meta tokens in every attention layer's KV,
// sliding windows included, KV shared between consecutive local hybrid-head layers, and a Mamba
// state in all 32 layers, against hand arithmetic.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "mixers/mixer.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("kv_memory: hymba-1.5b") {
  const Architecture arch = load_architecture("hymba-1.5b");
  SUBCASE("kv_reuse_group: each group's later layers read its first") {
    CHECK(arch.layers[2].kv_shared_from == 1u);
    CHECK(arch.layers[14].kv_shared_from == 13u);
    CHECK(arch.layers[17].kv_shared_from == 16u);
    CHECK(arch.layers[18].kv_shared_from == 16u);
    CHECK(arch.layers[30].kv_shared_from == 29u);
    for (const std::size_t owner : {0u, 1u, 15u, 16u, 19u, 29u, 31u})
      CHECK(!arch.layers[owner].kv_shared_from);
  }
  SUBCASE("bytes at contexts, meta tokens included") {
    // One owner: Hkv·(Dk + Dv) = 5·(64 + 128) = 960 elements × 2 bytes = 1,920 B per token.
    const MemoryReport report = kv_memory(arch, {100, 8192}, 1);
    CHECK(report.kv_bytes_per_token == 17 * 1'920);
    // L = 100: 17 owners × (100 + 128) tokens × 1,920 = 7,441,920.
    CHECK(report.rows[0].kv_bytes == 7'441'920);
    // L = 8,192: 3 global × (8,192 + 128) × 1,920 = 47,923,200; 14 local owners × (1,024 + 128)
    // × 1,920 = 30,965,760; together 78,888,960 (the paper's 79 MB).
    CHECK(report.rows[1].kv_bytes == 78'888'960);
    // Mamba-1 state in every layer, readers too: d_inner·N + (K − 1)·d_inner
    // = 3,200·16 + 3·3,200 = 60,800 elements × 2 bytes × 32 layers = 3,891,200.
    CHECK(report.state_bytes_per_sequence == 3'891'200);
  }
  SUBCASE("params: HymbaBlock's layout, by hand") {
    // modeling_hymba.py's HymbaBlock with D = 1,600, d_inner = 3,200, Hq = 25, Hkv = 5, Dk = 64,
    // Dv = 128, R = 100, N = 16, K = 4. A producer's in_proj: D × (q 1,600 + k 320 + v 640 + x
    // 3,200 + gate 3,200) = 1,600 × 8,960 = 14,336,000; a consumer's has no k, v: 1,600 × 8,000
    // = 12,800,000. out_proj 3,200 × 1,600 = 5,120,000 (no o_proj). conv 3,200·4 + bias 3,200
    // = 16,000; x_proj 3,200·(100 + 32) = 422,400; dt_proj 100·3,200 + bias 3,200 = 323,200;
    // A_log 3,200·16 = 51,200; D 3,200; dt/B/C norms 100 + 16 + 16 = 132; pre_avg_layernorm1
    // and 2: 6,400. Shared by every layer: 5,120,000 + 16,000 + 422,400 + 323,200 + 51,200
    // + 3,200 + 132 + 6,400 = 5,942,532. SwiGLU 3·1,600·5,504 = 26,419,200; input and pre-MLP
    // norms 3,200. Producers: 3 global + 14 local = 17; consumers 15.
    const std::uint64_t shared = 5'942'532 + 26'419'200 + 3'200;
    const std::uint64_t producer = 14'336'000 + shared;  // 46,700,932
    const std::uint64_t consumer = 12'800'000 + shared;  // 45,164,932
    CHECK(producer == 46'700'932);
    // Embedding tied with the lm head 32,001·1,600 = 51,201,600; memory tokens 128·1,600
    // = 204,800; final norm 1,600.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 17 * producer + 15 * consumer + 51'201'600 + 204'800 + 1'600);
    CHECK(report.total == 1'522'797'824ULL);
    // Against the model card's 1.52B: 0.18% over, within its three-digit rounding.
    CHECK(static_cast<double>(report.total) / 1.52e9 == doctest::Approx(1.00184).epsilon(1e-5));
    // Active: no meta tokens (run with the prompt); the tied table is the lm head.
    CHECK(report.active == 1'522'797'824ULL - 204'800);
  }
  SUBCASE("decode FLOPs: no o_proj, the fused in_proj and out_proj") {
    // A consumer layer's projections per token at context 1: q 1,600·1,600 + Mamba in_proj
    // 1,600·6,400 + x_proj 422,400 + dt_proj 320,000 + out_proj 5,120,000 = 18,662,400
    // weights → 2× = 37,324,800 FLOPs.
    const FlopCounts flops = arch.layers[2].mixer->decode_flops({1'600}, 1);
    CHECK(flops.at("projections") == doctest::Approx(37'324'800.0));
  }
}
TEST_CASE("parallel_hybrid: fusion") {
  // D = 512; attention Hq = 4, Hkv = 2, Dk = 8, Dv = 16 (Hq·Dv = 64); Mamba-1 d_inner 64, N 4,
  // K 2, R 8.
  auto yaml = [](const std::string& fusion, const std::string& dv) {
    return testing::architecture_yaml(
        "  hybrid:\n    kind: parallel_hybrid\n" + fusion +
            "    attention: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim_k: 8, "
            "head_dim_v: " +
            dv +
            "}\n    ssm: {kind: mamba1, d_inner: 64, state_size: 4, conv_kernel: 2, dt_rank: 8, "
            "inner_norms: true}\n",
        "  mixer: hybrid", 1);
  };
  // Attention: q 512·32 = 16,384, k 512·16 = 8,192, v 512·32 = 16,384, o 64·512 = 32,768.
  // Mamba-1: in_proj 512·128 = 65,536, conv 64·2 + bias 64, x_proj 64·(8 + 8) = 1,024, dt_proj
  // 8·64 + bias 64, A_log 64·4 = 256, D 64, out_proj 64·512 = 32,768, inner norms 8 + 4 + 4.
  const std::uint64_t ssm = 65'536 + 128 + 64 + 1'024 + 512 + 64 + 256 + 64 + 32'768 + 16;
  SUBCASE("separate (the default, Falcon-H1): both branches whole, outputs summed") {
    const Architecture arch = testing::load_text(yaml("", "16"));
    const ParamCounts counts = arch.layers[0].mixer->params({512});
    std::uint64_t total = 0;
    for (const auto& [component, count] : counts) total += count;
    CHECK(total == 16'384 + 8'192 + 16'384 + 32'768 + ssm);
  }
  SUBCASE("norm_average (Hymba): no o_proj, two norms of d_inner") {
    const Architecture arch = testing::load_text(yaml("    fusion: norm_average\n", "16"));
    const ParamCounts counts = arch.layers[0].mixer->params({512});
    std::uint64_t total = 0;
    for (const auto& [component, count] : counts) total += count;
    CHECK(total == 16'384 + 8'192 + 16'384 + ssm + 2 * 64);
    CHECK(counts.at("norms") == 16 + 2 * 64);
    // Prefill of 10 tokens: the projections run 2 FLOPs per weight and token, o_proj not among
    // them: 2·10·(16,384 + 8,192 + 16,384 + 65,536 + 1,024 + 512 + 32,768) = 2,816,000.
    CHECK(arch.layers[0].mixer->prefill_flops({512}, 10).at("projections") ==
          doctest::Approx(2'816'000.0));
  }
  SUBCASE("norm_average: each norm at its branch's width") {
    // Hq·Dv = 4·8 = 32 beside d_inner 64 (Hymba keeps them equal; a scaled-down copy may not).
    const Architecture arch = testing::load_text(yaml("    fusion: norm_average\n", "8"));
    CHECK(arch.layers[0].mixer->params({512}).at("norms") == 16 + 32 + 64);
  }
  SUBCASE("norm_average needs an SSM with an out_proj") {
    CHECK(testing::load_error(
              testing::architecture_yaml(
                  "  hybrid:\n    kind: parallel_hybrid\n    fusion: "
                  "norm_average\n    attention: {kind: softmax_attn, n_heads: 4, n_kv_heads: 4, "
                  "head_dim: 8}\n    ssm: {kind: rg_lru, n_heads: 2, block_width: "
                  "8, conv_kernel: 4}\n",
                  "  mixer: hybrid", 1))
              .find("an SSM branch with an out_proj") != std::string::npos);
  }
}

}  // namespace attnsim
