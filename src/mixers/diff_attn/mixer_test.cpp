// Tests of the differential-attention cost class: parameters, KV cache and FLOPs of an instance
// against hand arithmetic, the layer kinds and the full-attention equivalent.
#include "mixers/diff_attn/mixer.h"

#include <doctest/doctest.h>

#include "cost/memory.h"
#include "sim/simulate.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("diff_attn Mixer") {
  // 4 differential heads (H = 8 HF heads) over 2 kv pairs (Hkv = 4), D = 16, window 32; d = 512.
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  swa: {kind: diff_attn, n_heads: 4, n_kv_heads: 2, head_dim: 16, window: 32,"
      " qkv_bias: true, o_bias: true}\n"
      "  full: {kind: diff_attn, n_heads: 4, n_kv_heads: 2, head_dim: 16}",
      "  mixer: {repeat: [swa, full]}", 2));
  const Mixer& swa = *arch.mixers.at("swa");
  const Mixer& full = *arch.mixers.at("full");
  SUBCASE("parameters") {
    const ParamCounts params = swa.params({512});
    // Wqkv 512·(8·16 + 2·4·16) = 512·256 = 131,072; out_proj 8·16·512 = 65,536.
    CHECK(params.at("projections") == 196608);
    CHECK(params.at("biases") == 256 + 512);  // Wqkv 256 outputs, out_proj 512
    CHECK(params.at("lambda") == 64);         // λq1, λk1, λq2, λk2: 4·D
    CHECK(params.at("norms") == 32);          // subln 2D
    CHECK(full.params({512}).count("biases") == 0);
  }
  SUBCASE("KV cache: 2·Hkv·D = 128 per token, the window caps the sliding layer") {
    CHECK(swa.cache_terms().at(0).elements_per_token == 128);
    CHECK(swa.cache_terms().at(0).max_tokens == 32u);
    // At 100 tokens: sliding 32·128 + full 100·128 = 16,896 elements · 2 bytes.
    const MemoryReport memory = kv_memory(arch, {100}, 1);
    CHECK(memory.rows.front().kv_bytes == 33792);
    CHECK(swa.layer_kind() == "sliding_diff_attn");
    CHECK(full.layer_kind() == "diff_attn");
    CHECK(swa.full_attention_equivalent()->layer_kind() == "diff_attn");
  }
  SUBCASE("FLOPs: two-pass core 6·H·n·D per query") {
    FlopContext context{512};
    // Decode at 100 tokens: the sliding layer sees 32 keys → 6·8·32·16 = 24,576; scores 2·H·n·D
    // = 8,192 and av 4·H·n·D = 16,384.
    const FlopCounts decode = swa.decode_flops(context, 100);
    CHECK(decode.at("scores") == 8192.0);
    CHECK(decode.at("av") == 16384.0);
    CHECK(decode.at("projections") == 2.0 * 196608);
    // Prefill of T = 10 (no window reached): Σn = 55 → scores 2·8·16·55 = 14,080, av 28,160.
    const FlopCounts prefill = full.prefill_flops(context, 10);
    CHECK(prefill.at("scores") == 14080.0);
    CHECK(prefill.at("av") == 28160.0);
    // The "full" convention counts every query against its span: 10·10 pairs.
    context.causal = CausalConvention::full;
    CHECK(full.prefill_flops(context, 10).at("scores") == 2.0 * 8 * 16 * 100);
    CHECK(swa.prefill_flops(context, 40).at("scores") == 2.0 * 8 * 16 * 40 * 32);
  }
  SUBCASE("rejects kv pairs not dividing the differential heads") {
    testing::ScratchDir dir;
    const auto result = testing::run(
        {"validate", dir.write("arch.yaml", testing::architecture_yaml(
                                                "  m: {kind: diff_attn, n_heads: 4, n_kv_heads: 3,"
                                                " head_dim: 16}",
                                                "  mixer: m", 2))
                         .string()});
    CHECK(result.exit_code == 2);
  }
}

}  // namespace attnsim

namespace attnsim {

TEST_CASE("diff_attn in simulate: kernels agree with the cost model") {
  // A sliding (W = 256 → 4 after spans / 64) and a full differential-attention layer, scaled by 4.
  testing::ScratchDir dir;
  const auto file = dir.write(
      "diff.yaml",
      testing::architecture_yaml(
          "  swa: {kind: diff_attn, n_heads: 8, n_kv_heads: 4, head_dim: 32, window: 256}\n"
          "  full: {kind: diff_attn, n_heads: 8, n_kv_heads: 2, head_dim: 32}",
          "  mixer: {repeat: [swa, full]}", 4));
  sim::SimulateOptions options;
  options.scale = {4, 64};
  options.tokens = 9;
  options.decode_steps = 3;
  const sim::SimulationReport report = sim::simulate(file.string(), options);
  REQUIRE(report.rows.size() >= 8);
  for (const sim::SimRow& row : report.rows) {
    INFO(row.layer_kind, " ", row.quantity, " measured ", row.measured, " predicted ",
         row.predicted);
    CHECK(row.executed);
    CHECK(row.ok());
  }
}

}  // namespace attnsim
