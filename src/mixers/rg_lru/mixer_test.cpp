// Tests of the rg_lru kind's cost terms for RecurrentGemma-2B's recurrent block (D = W = 2560,
// H = 10, bw = 256, conv1d width 4) against arithmetic written here and mixers-spec-recurrent §11.
#include "mixers/rg_lru/mixer.h"

#include <doctest/doctest.h>

#include "tests/support.h"

namespace attnsim::rg_lru {
namespace {

std::shared_ptr<const Mixer> recurrentgemma_2b_block() {
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  m: {kind: rg_lru, n_heads: 10, block_width: 256, conv_kernel: 4}", "  mixer: m", 1));
  return arch.mixers.at("m");
}

TEST_CASE("rg_lru::kind_info") {
  const auto mixer = recurrentgemma_2b_block();
  SUBCASE("cache: h of W and 3·W conv columns (spec: 2,560 fp32 + 7,680 per layer)") {
    const auto terms = mixer->cache_terms();
    REQUIRE(terms.size() == 2);
    CHECK(terms[0].role == CacheRole::recurrent_state);
    CHECK(terms[0].elements_per_sequence == 2560);
    CHECK(terms[1].role == CacheRole::conv_state);
    CHECK(terms[1].elements_per_sequence == 7680);
    CHECK(terms[1].conv_kernel == 4);
  }
  SUBCASE("parameters of the recurrent block") {
    const ParamCounts params = mixer->params({2560});
    CHECK(params.at("projections") == 3ull * 2560 * 2560);  // linear_x, linear_y, linear_out
    // linear_x, linear_y biases 2·2560, linear_out 2560, conv 2560, gate biases 2·2560
    CHECK(params.at("biases") == 6 * 2560);
    CHECK(params.at("conv") == 4 * 2560);
    // two gates of 10 blocks of 256 × 256, and Λ
    CHECK(params.at("gates") == 2 * 10 * 256 * 256 + 2560);
  }
  SUBCASE("FLOPs: projections 6·D·W (39.3 MFLOP), conv 8·W, gates 4·W·bw, scan") {
    const FlopContext context{2560};
    const FlopCounts decode = mixer->decode_flops(context, 100);
    CHECK(decode.at("projections") == 39321600.0);
    CHECK(decode.at("conv") == 20480.0);
    CHECK(decode.at("gates") == 2621440.0);
    CHECK(decode.at("state_update") == 5120.0);
    // Prefill of 64 tokens in one chunk: 2080 pairs and 64 start-state terms per channel.
    const FlopCounts prefill = mixer->prefill_flops(context, 64);
    CHECK(prefill.at("intra_output") == 2.0 * 2080 * 2560);
    CHECK(prefill.at("state_read") == 2.0 * 64 * 2560);
  }
}

}  // namespace
}  // namespace attnsim::rg_lru
