// Hymba-1.5B (architectures/hymba-1.5b.yaml): 128 meta tokens in every attention layer's KV,
// sliding windows included, KV shared between consecutive local hybrid-head layers, and a Mamba
// state in all 32 layers, against hand arithmetic.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("kv_memory: hymba-1.5b") {
  const Architecture arch = load_architecture("hymba-1.5b");
  SUBCASE("the second layer of each local pair reads the first") {
    CHECK(arch.layers[2].kv_shared_from == 1u);
    CHECK(arch.layers[14].kv_shared_from == 13u);
    CHECK(arch.layers[17].kv_shared_from == 16u);
    CHECK(arch.layers[29].kv_shared_from == 28u);
    for (const std::size_t owner : {0u, 1u, 15u, 16u, 30u, 31u})
      CHECK(!arch.layers[owner].kv_shared_from);
  }
  SUBCASE("bytes at contexts, meta tokens included") {
    // One owner: Hkv·(Dk + Dv) = 5·128 = 640 elements × 2 bytes = 1,280 B per token.
    const MemoryReport report = kv_memory(arch, {100, 8192}, 1);
    CHECK(report.kv_bytes_per_token == 18 * 1'280);
    // L = 100: 18 owners × (100 + 128) tokens × 1,280 = 5,253,120.
    CHECK(report.rows[0].kv_bytes == 5'253'120);
    // L = 8,192: 3 global × (8,192 + 128) × 1,280 = 31,948,800; 15 local owners × (1,024 + 128)
    // × 1,280 = 22,118,400; together 54,067,200.
    CHECK(report.rows[1].kv_bytes == 54'067'200);
    // Mamba-1 state in every layer, readers too: d_inner·N + (K − 1)·d_inner
    // = 3,200·16 + 3·3,200 = 60,800 elements × 2 bytes × 32 layers = 3,891,200.
    CHECK(report.state_bytes_per_sequence == 3'891'200);
  }
  SUBCASE("params: the parallel_hybrid composition, by hand") {
    // Not Hymba's own layout (its fused projections are unpublished; see the file's notes), but
    // what attnsim counts, so that a change in any part shows. Per layer: Mamba-1 with d_inner
    // 3,200: in_proj 1,600·6,400 = 10,240,000, conv 3,200·4 + bias 3,200 = 16,000, x_proj
    // 3,200·(100 + 2·16) = 422,400, dt_proj 100·3,200 + bias 3,200 = 323,200, A_log 3,200·16
    // = 51,200, D 3,200, out_proj 3,200·1,600 = 5,120,000 → 16,176,000; SwiGLU 3·1,600·5,504
    // = 26,419,200; two norms 3,200. Attention q and o 2·1,600² = 5,120,000, k and v
    // 2·1,600·320 = 1,024,000 in the 18 owners only. Embeddings and lm head 2·32,001·1,600
    // = 102,403,200; meta tokens 128·1,600 = 204,800; final norm 1,600.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 102'403'200ULL + 204'800 + 32ULL * (16'176'000 + 26'419'200 + 3'200) +
                              32ULL * 5'120'000 + 18ULL * 1'024'000 + 1'600);
    CHECK(report.total == 1'648'030'400ULL);
    // Active: no input table and no meta tokens (run with the prompt).
    CHECK(report.active == 1'648'030'400ULL - 51'201'600 - 204'800);
  }
}

}  // namespace attnsim
