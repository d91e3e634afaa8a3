// RecurrentGemma-9B (architectures/recurrentgemma-9b.yaml): layer mix, KV, state and parameters
// against hand arithmetic from the google-deepmind/recurrentgemma preset.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("recurrentgemma-9b: KV, state and parameters by hand") {
  const Architecture arch = load_architecture("recurrentgemma-9b");
  SUBCASE("cache") {
    const MemoryReport report = kv_memory(arch, {1000, 8192}, 1);
    // 12 MQA layers × (K + V) 2 × 256 × 2 bytes = 12,288 B per token.
    CHECK(report.kv_bytes_per_token == 12'288);
    // L = 1,000 inside the 2,048 window: 12,288,000; L = 8,192: capped, 12,288 × 2,048.
    CHECK(report.rows[0].kv_bytes == 12'288'000);
    CHECK(report.rows[1].kv_bytes == 12'288ULL * 2'048);
    // 26 recurrent layers × (h: 4,096 fp32 = 16,384 B + conv 3 × 4,096 bf16 = 24,576 B).
    CHECK(report.state_bytes_per_sequence == 26 * (16'384 + 24'576));
  }
  SUBCASE("parameters") {
    // Recurrent block (D = W = 4,096, 16 gate blocks of 256, conv 4): linear_x, linear_y,
    // linear_out 3 × (4,096² + 4,096) = 50,343,936; conv 4,096·4 + 4,096 = 20,480; input and
    // a gates 2 × 16·256² + 2 × 4,096 = 2,105,344; recurrent_param 4,096 → 52,473,856.
    // Attention: q and o 2 × 4,096², k and v 2 × 4,096·256, o bias 4,096 → 35,655,680.
    // MLP: gate and up 2 × (4,096·12,288 + 12,288), down 12,288·4,096 + 4,096 → 151,023,616.
    // Two norms per layer 8,192; tied table 256,000 × 4,096 = 1,048,576,000; final norm 4,096.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 1'048'576'000ULL + 26ULL * 52'473'856 + 12ULL * 35'655'680 +
                              38ULL * (151'023'616 + 8'192) + 4'096);
    CHECK(report.total == 8'579'977'216ULL);
  }
}

}  // namespace attnsim
