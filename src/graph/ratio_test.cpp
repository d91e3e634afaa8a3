// Tests of the layer ratio labels: the shipped hybrids as their papers describe them, plus the
// period finder and the naming rules on small hand-made graphs.
#include "graph/ratio.h"

#include <doctest/doctest.h>

#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("layer_ratio") {
  SUBCASE("Qwen3-Next 80B-A3B: 3:1 (36 Gated DeltaNet, 12 gated attention; model card)") {
    const auto ratio = layer_ratio(load_architecture("qwen3-next-80b-a3b"));
    CHECK(ratio.label() == "3:1 Gated DeltaNet : gated attention");
    CHECK(ratio.counts() == "36:12");
    CHECK(ratio.global_share() == doctest::Approx(12.0 / 48.0));
  }
  SUBCASE("Gemma 3 27B: 5:1 local : global although the counts are 52:10 (62 = 10 × 6 + 2)") {
    const auto ratio = layer_ratio(load_architecture("gemma-3-27b"));
    CHECK(ratio.label() == "5:1 local : global");
    CHECK(ratio.counts() == "52:10");
    CHECK(ratio.n_global_layers == 10);
    CHECK(ratio.global_share() == doctest::Approx(10.0 / 62.0));
    CHECK(ratio.attention_share() == 1.0);  // sliding layers attend too
  }
  SUBCASE("Nemotron 3 Nano: irregular pattern, so counts (23 Mamba-2, 6 attention)") {
    const auto ratio = layer_ratio(load_architecture("nemotron-3-nano-30b-a3b"));
    CHECK(ratio.cycle.empty());
    CHECK(ratio.label() == "23 Mamba-2 : 6 attention");
    CHECK(ratio.n_mixer_layers == 29);  // the 23 MoE-only layers carry no mixer
    CHECK(ratio.attention_share() == doctest::Approx(6.0 / 29.0));
  }
  SUBCASE("Phi-4-mini-flash: layers reading layer 17's KV count as attention, not as global") {
    // 9 Mamba-1 + 7 GMU (no cache) + 8 sliding + 8 global diff_attn, 7 of which keep no KV.
    const auto ratio = layer_ratio(load_architecture("phi-4-mini-flash-reasoning"));
    CHECK(ratio.n_mixer_layers == 32);
    CHECK(ratio.n_global_layers == 1);
    CHECK(ratio.attention_share() == doctest::Approx(16.0 / 32.0));
  }
  SUBCASE("Kimi Linear: 3:1 KDA : MLA from the period, 20:7 from the counts (extra MLA last)") {
    const auto ratio = layer_ratio(load_architecture("kimi-linear-48b-a3b"));
    CHECK(ratio.label() == "3:1 KDA : MLA");
    CHECK(ratio.counts() == "20:7");
  }
  SUBCASE("Nemotron-H 8B: a 5:1 period but 24:4 layers overall, so the counts are given") {
    CHECK(layer_ratio(load_architecture("nemotron-h-8b")).label() == "24 Mamba-2 : 4 attention");
  }
  SUBCASE("one kind: its count and name") {
    CHECK(layer_ratio(load_architecture("llama-3-8b")).label() == "32 attention");
    CHECK(layer_ratio(load_architecture("deepseek-v3")).label() == "61 MLA");
  }
  SUBCASE("two global kinds with the same short name get their long names (SmolLM3)") {
    // Every 4th layer is NoPE: 27 RoPE + 9 NoPE, period 4 → 3:1.
    CHECK(layer_ratio(load_architecture("smollm3-3b")).label() ==
          "3:1 RoPE attention : NoPE attention");
  }
}

TEST_CASE("repeating_period") {
  using V = std::vector<std::string>;
  SUBCASE("exact repeat") { CHECK(repeating_period(V{"a", "a", "b", "a", "a", "b"}) == 3); }
  SUBCASE("a tail shorter than a period is ignored") {
    CHECK(repeating_period(V{"a", "b", "a", "b", "a"}) == 2);
  }
  SUBCASE("fewer than two periods: none") { CHECK(repeating_period(V{"a", "b", "b"}) == 0); }
  SUBCASE("irregular: none") {
    // Periods 1..4 all break inside the full periods: ab|aa, aba|abb, abaa|bbab.
    CHECK(repeating_period(V{"a", "b", "a", "a", "b", "b", "a", "b"}) == 0);
  }
  SUBCASE("one kind: period 1") { CHECK(repeating_period(V{"a", "a", "a"}) == 1); }
}

TEST_CASE("cache_growth") {
  const auto architecture = testing::load_text(testing::architecture_yaml(
      "  local: {kind: softmax_attn, n_heads: 4, n_kv_heads: 1, head_dim: 16, window: 8}\n"
      "  global: {kind: softmax_attn, n_heads: 4, n_kv_heads: 1, head_dim: 16}",
      "  mixer: {repeat: [local, local, global]}", 10));
  SUBCASE("a window caps the cache: local; none: global") {
    CHECK(cache_growth(*architecture.mixers.at("local")) == CacheGrowth::local);
    CHECK(cache_growth(*architecture.mixers.at("global")) == CacheGrowth::global);
  }
  SUBCASE("10 layers of [local, local, global]: 2:1 local : global, counts 7:3") {
    // global share: 1/3 per period vs 3/10 overall, within 15% (0.033 < 0.045).
    const auto ratio = layer_ratio(architecture);
    CHECK(ratio.label() == "2:1 local : global");
    CHECK(ratio.counts() == "7:3");
  }
}

}  // namespace attnsim
