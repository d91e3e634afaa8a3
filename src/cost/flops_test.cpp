// Tests of the FLOP model: hand-computed counts on synthetic files (causal conventions, windows,
// decode) and one check against the published dense-transformer formula of Kaplan et al.
#include "cost/flops.h"

#include <doctest/doctest.h>

#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
const char* kGqa = "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}";
const char* kSwa =
    "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64, window: 3}";

const FlopRow& row(const FlopReport& report, const std::string& group,
                   const std::string& operation) {
  for (const auto& r : report.rows)
    if (r.group == group && r.operation == operation) return r;
  FAIL("no row " << group << "/" << operation);
  return report.rows.front();
}
}  // namespace

TEST_CASE("model_flops") {
  const auto gqa = load_text(architecture_yaml(kGqa, "  mixer: attn", 1));
  SUBCASE("GQA prefill, causal half: T(T+1)/2 pairs") {
    const auto report = model_flops(gqa, 4, 10, {CausalConvention::half});
    // pairs 1+2+3+4 = 10; scores 2 × Hq·D × pairs = 2 × 8·64 × 10 = 10,240; av the same
    CHECK(row(report, "full_attn", "scores").prefill == 10240.0);
    CHECK(row(report, "full_attn", "av").prefill == 10240.0);
    // projections 2 × 655,360 weights × 4 tokens = 5,242,880
    CHECK(row(report, "full_attn", "projections").prefill == 5242880.0);
    // lm head 2 × 1000 × 512 × 4 = 4,096,000
    CHECK(row(report, "model", "lm_head").prefill == 4096000.0);
  }
  SUBCASE("GQA prefill, causal full: T² pairs") {
    const auto report = model_flops(gqa, 4, 10, {CausalConvention::full});
    // 16 pairs × 2 × 512 = 16,384
    CHECK(row(report, "full_attn", "scores").prefill == 16384.0);
  }
  SUBCASE("decode at L: L pairs, one token of projections") {
    const auto report = model_flops(gqa, 4, 10, {});
    // 2 × 512 × 10 = 10,240; projections 2 × 655,360 = 1,310,720
    CHECK(row(report, "full_attn", "scores").decode == 10240.0);
    CHECK(row(report, "full_attn", "projections").decode == 1310720.0);
  }
  SUBCASE("sliding window: min(i+1, W) pairs in prefill, min(L, W) at decode") {
    const auto swa = load_text(architecture_yaml(kSwa, "  mixer: attn", 1));
    // half: 1+2+3+3 = 9 pairs → 2 × 512 × 9 = 9,216; full: 4 × min(4, 3) = 12 → 12,288
    CHECK(row(model_flops(swa, 4, 10, {}), "sliding_attn", "scores").prefill == 9216.0);
    CHECK(
        row(model_flops(swa, 4, 10, {CausalConvention::full}), "sliding_attn", "scores").prefill ==
        12288.0);
    // decode at L = 10 sees W = 3 keys: 2 × 512 × 3 = 3,072; flat beyond W
    CHECK(row(model_flops(swa, 4, 10, {}), "sliding_attn", "scores").decode == 3072.0);
    CHECK(row(model_flops(swa, 4, 1000, {}), "sliding_attn", "scores").decode == 3072.0);
  }
  SUBCASE("MoE FFN: 2 FLOPs per active weight and token") {
    const auto moe = load_text(architecture_yaml(kGqa, "  mixer: attn\n  ffn: moe", 1,
                                                 "ffns:\n  moe: {kind: moe, activation: swiglu, "
                                                 "n_experts: 8, top_k: 2, expert_width: 64}\n"));
    const auto report = model_flops(moe, 4, 10, {});
    // experts 2 × (2 × 3 × 512 × 64) × 4 tokens = 1,572,864; router 2 × 8 × 512 × 4 = 32,768
    CHECK(row(report, "ffn", "experts").prefill == 1572864.0);
    CHECK(row(report, "ffn", "router").prefill == 32768.0);
  }
}

TEST_CASE("model_flops against Kaplan et al. 2020") {
  // Kaplan et al., "Scaling Laws for Neural Language Models" (arXiv:2001.08361), Table 1: a
  // forward pass costs 2N FLOPs per token for the non-embedding weights N plus
  // 2·n_layer·n_ctx·d_attn for the attention logits (QK), with no causal saving.
  // Llama 3 8B, by hand: attention 4096·(4096 + 2·1024) + 4096·4096 = 41,943,040 and MLP
  // 3·4096·14336 = 176,160,768 per layer; 32 layers = 6,979,321,856; de-embedding (lm head)
  // 128,256·4096 = 525,336,576 → N = 7,504,658,432 matrix weights.
  const auto llama = load_architecture("llama-3-8b");
  const double T = 2048;
  const auto report = model_flops(llama, 2048, 2048, {CausalConvention::full});
  const double weights = row(report, "full_attn", "projections").prefill +
                         row(report, "ffn", "mlp").prefill +
                         row(report, "model", "lm_head").prefill;
  CHECK(weights == 2.0 * 7504658432.0 * T);
  // QK logits: 2 · 32 layers · n_ctx 2048 · d_attn 4096 per token, × T tokens
  CHECK(row(report, "full_attn", "scores").prefill == 2.0 * 32 * 2048 * 4096 * T);
}

}  // namespace attnsim
