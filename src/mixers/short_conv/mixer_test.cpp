// Tests of the short_conv kind's cost terms: cache, parameters and FLOPs of LFM2-1.2B's conv
// layer (D = 2048, L = 3) against arithmetic written here and mixers-spec-recurrent §12.
#include "mixers/short_conv/mixer.h"

#include <doctest/doctest.h>

#include "tests/support.h"

namespace attnsim::short_conv {
namespace {

std::shared_ptr<const Mixer> lfm2_conv(const std::string& extra = "") {
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  m: {kind: short_conv, channels: 2048, conv_kernel: 3" + extra + "}", "  mixer: m", 1));
  return arch.mixers.at("m");
}

TEST_CASE("short_conv::kind_info") {
  SUBCASE("cache: (L − 1)·D conv columns, transformers keeps L") {
    const auto terms = lfm2_conv()->cache_terms();
    REQUIRE(terms.size() == 1);
    CHECK(terms[0].role == CacheRole::conv_state);
    CHECK(terms[0].elements_per_sequence == 4096);  // spec: 4,096 per conv layer (HF 6,144)
    CHECK(terms[0].conv_kernel == 3);
  }
  SUBCASE("parameters: in_proj 3D², out_proj D², conv L·D; biases when asked") {
    const ParamCounts params = lfm2_conv()->params({2048});
    CHECK(params.at("projections") == 4 * 2048 * 2048);  // 16,777,216
    CHECK(params.at("conv") == 3 * 2048);
    CHECK(params.count("biases") == 0);
    // in_proj 3·2048 + conv 2048 + out_proj 2048
    CHECK(lfm2_conv(", bias: true")->params({2048}).at("biases") == 5 * 2048);
  }
  SUBCASE("FLOPs: projections 2·4D² per token (33.6 MFLOP), conv 2·L·D") {
    const FlopContext context{2048};
    const FlopCounts decode = lfm2_conv()->decode_flops(context, 1000);
    CHECK(decode.at("projections") == 33554432.0);  // spec: 25.2 + 8.4 MFLOP
    CHECK(decode.at("conv") == 12288.0);
    const FlopCounts prefill = lfm2_conv()->prefill_flops(context, 10);
    CHECK(prefill.at("conv") == 122880.0);
    CHECK(prefill.at("projections") == 335544320.0);
  }
  SUBCASE("projection shapes add up to the projection weights") {
    const auto shapes = lfm2_conv()->projection_shapes({2048});
    REQUIRE(shapes.size() == 2);
    CHECK(shapes[0].in_features * shapes[0].out_features +
              shapes[1].in_features * shapes[1].out_features ==
          4.0 * 2048 * 2048);
    CHECK(shapes[1].row_parallel);
  }
}

}  // namespace
}  // namespace attnsim::short_conv
