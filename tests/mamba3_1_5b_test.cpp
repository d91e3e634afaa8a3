// Mamba-3 MIMO 1.5B (architectures/mamba3-mimo-1.5b.yaml): decode state and parameters against
// hand arithmetic from the model card's widths and mamba_ssm's Mamba3 layout.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("mamba3-mimo-1.5b: state and parameters by hand") {
  const Architecture arch = load_architecture("mamba3-mimo-1.5b");
  // D = 2,048; H = 64 heads of P = 64 (d_inner 4,096); N = 128; G = 1; R = 4;
  // S = 0.5 · 128 / 2 = 32 angles per head; MLP d_ff 3,824; vocab 128,256 tied; 24 blocks.
  SUBCASE("decode state") {
    const MemoryReport report = kv_memory(arch, {2048}, 1);
    CHECK(report.kv_bytes_per_token == 0);
    CHECK(report.rows[0].kv_bytes == 0);
    // Per layer: ssm 64·64·128 fp32 = 2,097,152 B; angle 64·32 fp32 = 8,192 B;
    // k 4·64·128 bf16 = 65,536 B; v 64·64 bf16 = 8,192 B → 2,179,072 B.
    CHECK(report.state_bytes_per_sequence == 24 * (2'097'152 + 8'192 + 65'536 + 8'192));
    CHECK(report.state_bytes_per_sequence == 52'297'728);
  }
  SUBCASE("parameters") {
    // in_proj 2,048 × (2·4,096 + 2·128·1·4 + 3·64 + 32) = 2,048 × 9,440 = 19,333,120;
    // out_proj 4,096 × 2,048 = 8,388,608; B/C biases 2 × 64·4·128 = 65,536; B/C norms
    // 2 × 128 = 256; dt_bias and D 2 × 64 = 128; mimo_x/z/o 3 × 64·4·64 = 49,152
    // → mixer 27,836,800. GatedMLP: fc1 2,048 × 2·3,824 = 15,663,104, fc2 3,824 × 2,048 =
    // 7,831,552 → 23,494,656. Two RMSNorms 2 × 2,048 = 4,096. Block: 51,335,552.
    // Tied table 128,256 × 2,048 = 262,668,288; final norm 2,048.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 24ULL * (27'836'800 + 23'494'656 + 4'096) + 262'668'288ULL + 2'048);
    CHECK(report.total == 1'494'723'584ULL);
    // The card's "1.50 B parameters" is a rounded figure: 1.4947B is within 0.5% of it.
    CHECK(static_cast<double>(report.total) / 1.5e9 == doctest::Approx(1.0).epsilon(0.005));
  }
}

}  // namespace attnsim
