// Tests of the mlstm kind's cost terms for xLSTM-7B's mLSTM layer (D = 4096, NH = 8, DK = 256,
// DV = 512) against arithmetic written here and mixers-spec-recurrent §14.
#include "mixers/mlstm/mixer.h"

#include <doctest/doctest.h>

#include "tests/support.h"

namespace attnsim::mlstm {
namespace {

std::shared_ptr<const Mixer> xlstm_7b_layer() {
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  m: {kind: mlstm, n_heads: 8, head_dim_k: 256, head_dim_v: 512}", "  mixer: m", 1));
  return arch.mixers.at("m");
}

TEST_CASE("mlstm::kind_info") {
  const auto mixer = xlstm_7b_layer();
  SUBCASE("cache: C 1,048,576 + n 2,048 + m 8 = 1,050,632 per layer (spec)") {
    const auto terms = mixer->cache_terms();
    REQUIRE(terms.size() == 1);
    CHECK(terms[0].role == CacheRole::recurrent_state);
    CHECK(terms[0].elements_per_sequence == 1050632);
  }
  SUBCASE("parameters: q, k 4096 → 2048, v and o-gate 4096 → 4096, out_proj, gates, head norm") {
    const ParamCounts params = mixer->params({4096});
    // 4096 · (2·2048 + 2·4096) = 50,331,648; out_proj 16,777,216; i/f gates 2 · 4096 · 8 = 65,536
    CHECK(params.at("projections") == 67174400);
    CHECK(params.at("biases") == 16);
    CHECK(params.at("norms") == 4096);
  }
  SUBCASE("FLOPs: projections ≈ 134 MFLOP per token (spec), recurrent decode core") {
    const FlopCounts decode = mixer->decode_flops({4096}, 10);
    CHECK(decode.at("projections") == 134348800.0);
    CHECK(decode.at("state_update") + decode.at("readout") == 4202496.0);
    // A prefill of 64 in one chunk: 2080 pairs · 256 per head for the scores.
    CHECK(mixer->prefill_flops({4096}, 64).at("scores") == 2.0 * 8 * 2080 * 256);
  }
}

}  // namespace
}  // namespace attnsim::mlstm
