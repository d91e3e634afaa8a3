// Tests of the rwkv7 kind's cost terms for RWKV7-World3-2.9B's time mixing (D = 2560, H = 40,
// N = 64, LoRA ranks 96/96/64/320) against arithmetic written here and mixers-spec-recurrent §13.
#include "mixers/rwkv7/mixer.h"

#include <doctest/doctest.h>

#include "tests/support.h"

namespace attnsim::rwkv7 {
namespace {

std::shared_ptr<const Mixer> world3_tmix(int value_lora) {
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  m: {kind: rwkv7, n_heads: 40, head_dim: 64, decay_lora: 96, iclr_lora: 96, value_lora: " +
          std::to_string(value_lora) + ", gate_lora: 320}",
      "  mixer: m", 1));
  return arch.mixers.at("m");
}

TEST_CASE("rwkv7::kind_info") {
  SUBCASE("cache: 40 × 64² fp32 state (163,840) and the token shift 2 × 2560") {
    const auto terms = world3_tmix(64)->cache_terms();
    REQUIRE(terms.size() == 2);
    CHECK(terms[0].role == CacheRole::recurrent_state);
    CHECK(terms[0].elements_per_sequence == 163840);
    CHECK(terms[1].elements_per_sequence == 5120);
  }
  SUBCASE("parameters: r, k, v, o, four LoRAs, mixes and ln_x; layer 0 has no value LoRA") {
    const ParamCounts params = world3_tmix(64)->params({2560});
    // 4 · 2560² = 26,214,400; LoRAs 2560 · (96 + 96 + 64 + 320) · 2 = 2,949,120
    CHECK(params.at("projections") == 26214400 + 2949120);
    CHECK(params.at("gates") == 12 * 2560);  // x_r..x_g, w0, a0, v0, k_k, k_a, r_k
    CHECK(params.at("norms") == 2 * 2560);
    const ParamCounts first = world3_tmix(0)->params({2560});
    CHECK(first.at("projections") == 26214400 + 2949120 - 2 * 2560 * 64);
    CHECK(first.at("gates") == 11 * 2560);
  }
  SUBCASE("FLOPs: decode core 8·H·N², chunked prefill") {
    const FlopContext context{2560};
    const FlopCounts decode = world3_tmix(64)->decode_flops(context, 100);
    CHECK(decode.at("state_read") + decode.at("state_update") + decode.at("readout") == 1310720.0);
    CHECK(decode.at("projections") == 2.0 * (26214400 + 2949120));
    // One chunk of 64: scores 2 · 64² · 64 per head → 2 · 40 · 524,288 FLOPs.
    CHECK(world3_tmix(64)->prefill_flops(context, 64).at("intra_scores") == 41943040.0);
  }
}

}  // namespace
}  // namespace attnsim::rwkv7
