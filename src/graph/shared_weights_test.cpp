// Layers that run another layer's weights: a looped stack (layers.loops, Nanbeige 4.2) and a
// block invoked at several depths (overrides: weights_shared_from, Zamba2). Parameters count
// the weights once; the caches, FLOPs and weight reads count every invocation. Expected values
// are worked by hand on a small synthetic model.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "core/error.h"
#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
// d_model 512, vocab 1000 (untied), a GQA layer of 4 query heads, 2 KV heads of 64 and a
// dense SwiGLU FFN of 1024, pre-norms only (architecture_yaml's model).
const std::string kMixers =
    "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 64}\n"
    "ffns:\n  mlp: {kind: dense, activation: swiglu, d_ff: 1024}";

// q 512·256 + k 512·128 + v 512·128 + o 256·512 = 393,216; FFN 3·512·1024 = 1,572,864; two
// RMSNorms of 512 = 1,024: 1,967,104 per layer.
constexpr std::uint64_t kLayerParams = 393216 + 1572864 + 1024;
// Embeddings and lm head 2·1000·512 = 1,024,000 and the final norm 512.
constexpr std::uint64_t kModelParams = 1024000 + 512;

Architecture looped(int n_layers, int loops) {
  return load_text(architecture_yaml(
      kMixers, fmt::format("  mixer: attn\n  ffn: mlp\n  loops: {}", loops), n_layers));
}
}  // namespace

TEST_CASE("layers.loops: the physical stack runs again with the same weights") {
  const Architecture arch = looped(3, 2);
  REQUIRE(arch.layers.size() == 6);
  CHECK(arch.dims.n_layers == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK_FALSE(arch.layers[i].weights_shared_from);
  for (std::size_t i = 3; i < 6; ++i) {
    CHECK(arch.layers[i].index == i);
    CHECK(arch.layers[i].weights_shared_from == i - 3);
  }
  const auto kinds = count_layer_kinds(arch);
  REQUIRE(kinds.size() == 1);
  CHECK(kinds.begin()->second == 6);  // six attention layers run

  SUBCASE("parameters: the three physical layers once") {
    CHECK(model_params(arch).total == 3 * kLayerParams + kModelParams);
    CHECK(model_params(arch).total == model_params(looped(3, 1)).total);
  }
  SUBCASE("a step reads every invocation's weights") {
    // one token: 6 layer invocations + lm head 512,000 + final norm + one embedding row of 512
    CHECK(weight_params_read(arch, 1) == doctest::Approx(6.0 * kLayerParams + 512000 + 512 + 512));
  }
  SUBCASE("KV cache: one per invocation") {
    // 6 × 2 heads × (64 + 64) × 2 bytes = 3,072 B/token
    CHECK(kv_memory(arch, {1}, 1).kv_bytes_per_token == 3072);
  }
  SUBCASE("FLOPs: every invocation, as the unrolled six-layer model") {
    const Architecture unrolled =
        load_text(architecture_yaml(kMixers, "  mixer: attn\n  ffn: mlp", 6));
    const FlopReport a = model_flops(arch, 100, 100, {});
    const FlopReport b = model_flops(unrolled, 100, 100, {});
    CHECK(a.prefill_total == b.prefill_total);
    CHECK(a.decode_total == b.decode_total);
  }
}

TEST_CASE("weights_shared_from: a block invoked at several depths") {
  const std::string layers =
      "  mixer: {repeat: [attn, none]}\n  ffn: mlp\n"
      "  overrides:\n    - {layers: [2, 4], weights_shared_from: 0}";
  const Architecture arch = load_text(architecture_yaml(kMixers, layers, 6));
  CHECK(arch.layers[2].weights_shared_from == 0);
  CHECK(arch.layers[4].weights_shared_from == 0);
  CHECK_FALSE(arch.layers[1].weights_shared_from);
  // Owned: layer 0 (attention + FFN) and the FFN-only layers 1, 3, 5 (FFN + one norm each):
  // 1,967,104 + 3 × (1,572,864 + 512)
  CHECK(model_params(arch).total == kLayerParams + 3 * (1572864 + 512) + kModelParams);
  // the three attention invocations each keep a cache: 3 × 512 B
  CHECK(kv_memory(arch, {1}, 1).kv_bytes_per_token == 1536);
}

TEST_CASE("weight sharing: mistakes are located errors") {
  auto fails = [](const std::string& layers, int n_layers, const std::string& message) {
    CHECK_THROWS_WITH_AS(load_text(architecture_yaml(kMixers, layers, n_layers)),
                         doctest::Contains(message.c_str()), UserError);
  };
  SUBCASE("the owner must come first") {
    fails("  mixer: attn\n  ffn: mlp\n  overrides:\n    - {layers: [0], weights_shared_from: 2}", 3,
          "weights_shared_from naming an earlier layer");
  }
  SUBCASE("and have the same mixer and FFN") {
    fails(
        "  mixer: {repeat: [attn, none]}\n  ffn: mlp\n  overrides:\n"
        "    - {layers: [1], weights_shared_from: 0}",
        2, "layer 1 has no mixer + mlp");
  }
  SUBCASE("an index past the model") {
    fails("  mixer: attn\n  overrides:\n    - {layers: [1], weights_shared_from: 7}", 3,
          "a 0-based layer index below model.n_layers = 3");
  }
  SUBCASE("loops: a positive count within bounds") {
    fails("  mixer: attn\n  loops: 0", 3, "layers.loops");
    fails("  mixer: attn\n  loops: 65", 3, "at most 64 loops");
  }
}

}  // namespace attnsim
