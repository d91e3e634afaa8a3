// Tests of design-sweep knobs: each derived architecture is checked against hand-computed
// layer counts and cache sizes.
#include "graph/sweep.h"

#include <doctest/doctest.h>

#include "cost/memory.h"
#include "graph/load.h"

namespace attnsim {

namespace {
Architecture derive(const std::string& name, std::vector<KnobSetting> settings) {
  const auto file = resolve_architecture(name);
  return derive_architecture(load_resolved_document(file), load_architecture_file(file), settings);
}
}  // namespace

TEST_CASE("derive_architecture") {
  SUBCASE("Qwen3-Next at 7:1: 48 layers of [gdn × 7, attn] = 42 + 6") {
    const auto variant = derive("qwen3-next-80b-a3b", {{"linear_ratio", "7:1"}});
    const auto counts = count_layer_kinds(variant);
    CHECK(counts.at("gated_deltanet") == 42);
    CHECK(counts.at("gated_attn") == 6);
    // 6 layers × 2 (k,v) × 2 kv heads × 256 × 2 bytes = 12,288 bytes/token.
    CHECK(kv_memory(variant, {1}, 1).kv_bytes_per_token == 12288);
    CHECK(variant.name == "qwen3-next-80b-a3b[linear_ratio=7:1]");
    CHECK(variant.expect.layer_counts.empty());  // the base's published facts are dropped
  }
  SUBCASE("Kimi Linear at 1:1 replaces its default/at pattern whole: 27 = 14 KDA + 13 MLA") {
    const auto counts = count_layer_kinds(derive("kimi-linear-48b-a3b", {{"linear_ratio", "1:1"}}));
    CHECK(counts.at("kda") == 14);
    CHECK(counts.at("mla") == 13);
  }
  SUBCASE("all and none") {
    CHECK(count_layer_kinds(derive("qwen3-next-80b-a3b", {{"linear_ratio", "all"}}))
              .at("gated_deltanet") == 48);
    CHECK(count_layer_kinds(derive("qwen3-next-80b-a3b", {{"linear_ratio", "none"}}))
              .at("gated_attn") == 48);
  }
  SUBCASE("Gemma 3 27B with a 4096 window at 32K") {
    const auto variant = derive("gemma-3-27b", {{"window", "4096"}});
    // global: 10 × 2 × 16 × 128 × 2 B = 81,920 B/token × 32,768 = 2.5 GiB;
    // local: 52 × 8,192 B/token × 4,096 kept = 1.625 GiB; total 4.125 GiB = 4,429,185,024 B.
    CHECK(kv_memory(variant, {32768}, 1).rows[0].total_bytes == 4429185024ULL);
  }
  SUBCASE("two knobs on one instance both apply") {
    const auto variant = derive("gemma-3-27b", {{"window", "512"}, {"kv_heads", "8"}});
    // 62 × 2 × 8 × 128 × 2 B = 253,952 B/token before windows.
    CHECK(kv_memory(variant, {1}, 1).kv_bytes_per_token == 253952);
  }
  SUBCASE("latent rank and state size") {
    const auto variant =
        derive("kimi-linear-48b-a3b", {{"latent_rank", "256"}});  // 7 × (256 + 64) × 2 B
    CHECK(kv_memory(variant, {1}, 1).kv_bytes_per_token == 4480);
    const auto mamba = derive("nemotron-3-nano-30b-a3b", {{"state_size", "64"}});
    const auto base = load_architecture("nemotron-3-nano-30b-a3b");
    // SSM state per layer: 64 heads × 64 head_dim × N × 4 B (fp32). N 128 → 64 saves
    // 23 layers × 64 × 64 × 64 × 4 B = 24,117,248 B; the conv state (2·G·N channels) shrinks
    // too, so the saving is at least that.
    CHECK(kv_memory(mamba, {1}, 1).state_bytes_per_sequence <
          kv_memory(base, {1}, 1).state_bytes_per_sequence - 24117248 + 1);
  }
  SUBCASE("a knob the model lacks is a clear error") {
    CHECK_THROWS_WITH_AS(derive("llama-3-8b", {{"window", "4096"}}),
                         doctest::Contains("a mixer instance with `window`"), UserError);
    CHECK_THROWS_WITH_AS(derive("llama-3-8b", {{"linear_ratio", "3:1"}}),
                         doctest::Contains("one linear/SSM (or sliding-window) mixer instance"),
                         UserError);
    CHECK_THROWS_AS(parse_vary("ratio=3:1"), UserError);
  }
}

TEST_CASE("knob_grid") {
  const auto grid = knob_grid({{"window", {"512", "4096"}}, {"kv_heads", {"8", "16"}}});
  REQUIRE(grid.size() == 4);
  CHECK(grid[1][0].value == "512");
  CHECK(grid[1][1].value == "16");
}

}  // namespace attnsim
