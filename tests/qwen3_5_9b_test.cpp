// Qwen3.5-9B (architectures/qwen3.5-9b.yaml): KV, state and parameters against hand arithmetic
// from the quoted config values.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("qwen3.5-9b: KV, state and parameters by hand") {
  const Architecture arch = load_architecture("qwen3.5-9b");
  // D = 4,096; 24 Gated DeltaNet layers (16 q/k heads, 32 v heads, 128 × 128, conv 4) and 8
  // gated-attention layers (16 heads / 4 KV heads of 256); SwiGLU 12,288; vocab 248,320 untied.
  SUBCASE("cache") {
    const MemoryReport report = kv_memory(arch, {1024}, 1);
    CHECK(report.kv_bytes_per_token == 8 * 2 * 4 * 256 * 2);
    CHECK(report.rows[0].kv_bytes == 32'768ULL * 1'024);
    // DeltaNet state 32 × 128 × 128 in fp32; conv 3 × (2 × 16 × 128 + 32 × 128) in bf16.
    CHECK(report.state_bytes_per_sequence ==
          24ULL * (32 * 128 * 128 * 4 + 3 * (2 * 2'048 + 4'096) * 2));
  }
  SUBCASE("parameters") {
    // DeltaNet: in_proj_qkvz 4,096 × (2 × 2,048 + 2 × 4,096) = 50,331,648; in_proj_ba
    // 4,096 × 2 × 32 = 262,144; conv 8,192 × 4 = 32,768; dt_bias and A_log 2 × 32 = 64; gated
    // norm 128; out_proj 4,096² = 16,777,216 → 67,403,968. Gated attention: q (with its gate)
    // 4,096 × 2 × 16 × 256 = 33,554,432, k and v 2 × 4,096 × 1,024, o 4,096², q/k norms
    // 2 × 256 → 58,720,768. MLP 3 × 4,096 × 12,288 = 150,994,944. Two norms 8,192 per layer;
    // embedding and lm head 2 × 248,320 × 4,096; final norm 4,096.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 24ULL * 67'403'968 + 8ULL * 58'720'768 + 32ULL * (150'994'944 + 8'192) +
                              2ULL * 1'017'118'720 + 4'096);
    CHECK(report.total == 8'953'803'264ULL);
  }
}

}  // namespace attnsim
