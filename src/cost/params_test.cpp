// Tests of the parameter model: hand-computed counts on synthetic files, and the tolerance rule
// of the published-count check.
#include "cost/params.h"

#include <doctest/doctest.h>

#include "cost/expectations.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
const char* kGqa = "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}";

std::uint64_t row_total(const ParamReport& report, const std::string& group,
                        const std::string& component) {
  for (const auto& row : report.rows)
    if (row.group == group && row.component == component) return row.total;
  return 0;
}
std::uint64_t row_active(const ParamReport& report, const std::string& group,
                         const std::string& component) {
  for (const auto& row : report.rows)
    if (row.group == group && row.component == component) return row.active;
  return 0;
}
}  // namespace

TEST_CASE("model_params") {
  SUBCASE("GQA without FFN: projections, pre-norms, embeddings, lm head") {
    const auto report = model_params(load_text(architecture_yaml(kGqa, "  mixer: attn", 2)));
    // q 512·512 = 262,144; k, v 512·(2·64) = 65,536 each; o 262,144 → 655,360 per layer
    CHECK(row_total(report, "full_attn", "projections") == 2 * 655360);
    // embeddings and lm head 1000·512 = 512,000 each; norms 2 × 512 + final 512
    // total = 1,024,000 + 1,310,720 + 1,024 + 512 = 2,336,256
    CHECK(report.total == 2336256);
    // active drops the input embedding table: 2,336,256 − 512,000
    CHECK(report.active == 1824256);
    CHECK(report.active_with_embeddings == 2336256);
  }
  SUBCASE("tied embeddings: one table, used as the lm head by every token") {
    const auto report = model_params(load_text(
        architecture_yaml(kGqa, "  mixer: attn", 2)
            .replace(architecture_yaml(kGqa, "  mixer: attn", 2).find("tied_embeddings: false"), 22,
                     "tied_embeddings: true")));
    // 2,336,256 − 512,000 (no separate head)
    CHECK(report.total == 1824256);
    CHECK(report.active == 1824256);
  }
  SUBCASE("MoE: routed experts total vs top_k active, shared experts, router with bias") {
    const auto report = model_params(load_text(architecture_yaml(
        kGqa, "  mixer: attn\n  ffn: moe", 1,
        "ffns:\n  moe: {kind: moe, activation: swiglu, n_experts: 8, top_k: 2, expert_width: 64,"
        " n_shared_experts: 1, shared_expert_width: 128, router_bias: true}\n")));
    // routed 8 × 3 × 512 × 64 = 786,432; active 2 × 3 × 512 × 64 = 196,608
    CHECK(row_total(report, "ffn", "routed_experts") == 786432);
    CHECK(row_active(report, "ffn", "routed_experts") == 196608);
    // shared 3 × 512 × 128 = 196,608, always active; router 8 × 512 + 8 = 4,104
    CHECK(row_active(report, "ffn", "shared_experts") == 196608);
    CHECK(row_total(report, "ffn", "router") == 4104);
    // two pre-norms (mixer, FFN) + the final norm: 3 × 512
    CHECK(row_total(report, "model", "layer norms") + row_total(report, "model", "final norm") ==
          1536);
  }
  SUBCASE("Mamba-2: in_proj, out_proj, conv with bias, A_log/dt_bias/D, gated norm") {
    const auto report = model_params(load_text(architecture_yaml(
        "  m: {kind: mamba2, n_heads: 8, head_dim: 64, state_size: 16, n_groups: 1, "
        "conv_kernel: 4}",
        "  mixer: m", 1)));
    // d_inner 512; in_proj 512 × (2·512 + 2·16 + 8) = 544,768; out_proj 512 × 512 = 262,144
    CHECK(row_total(report, "mamba2", "projections") == 806912);
    // conv 4 × (512 + 2·16) = 2,176 weights + 544 biases; 3 × 8 gates; norm 512
    CHECK(row_total(report, "mamba2", "conv") == 2176);
    CHECK(row_total(report, "mamba2", "biases") == 544);
    CHECK(row_total(report, "mamba2", "gates") == 24);
    CHECK(row_total(report, "mamba2", "norms") == 512);
  }
  SUBCASE("Gated DeltaNet: qkvz + ba projections, conv, A_log and dt_bias per value head") {
    const auto report = model_params(load_text(architecture_yaml(
        "  g: {kind: gated_deltanet, n_qk_heads: 2, n_v_heads: 4, head_dim_k: 32, "
        "head_dim_v: 16, conv_kernel: 4}",
        "  mixer: g", 1)));
    // q,k 2·2·32 = 128; v 4·16 = 64; z 64; b,a 2·4 = 8 → 512 × 264 = 135,168; out 64 × 512
    // = 32,768 → 167,936
    CHECK(row_total(report, "gated_deltanet", "projections") == 167936);
    // conv 4 × (128 + 64) = 768
    CHECK(row_total(report, "gated_deltanet", "conv") == 768);
    CHECK(row_total(report, "gated_deltanet", "gates") == 8);
  }
  SUBCASE("MLA with a q latent: projections and the latent up-projection apart") {
    const auto report = model_params(load_text(architecture_yaml(
        "  m: {kind: mla, n_heads: 2, q_lora_rank: 32, kv_lora_rank: 16, qk_nope_head_dim: 8,"
        " qk_rope_head_dim: 4, v_head_dim: 8}",
        "  mixer: m", 1, "expect: {layers: {mla: 1}}\n")));
    // q_a 512·32 = 16,384; q_b 32·2·12 = 768; kv_a 512·20 = 10,240; o 2·8·512 = 8,192
    CHECK(row_total(report, "mla", "projections") == 35584);
    // kv_b 16 × 2 × (8 + 8) = 512; norms 32 + 16
    CHECK(row_total(report, "mla", "latent_up") == 512);
    CHECK(row_total(report, "mla", "norms") == 48);
  }
}

TEST_CASE("model_params: multi-token prediction modules") {
  const std::string moe =
      "ffns:\n  moe: {kind: moe, activation: swiglu, n_experts: 8, top_k: 2, expert_width: 64}\n";
  SUBCASE("counted apart from the total, with their own norms and fusion projection") {
    const std::string base = architecture_yaml(kGqa, "  mixer: attn\n  ffn: moe", 1, moe);
    const auto without = model_params(load_text(base));
    const auto with = model_params(load_text(base + "mtp: {modules: 2, mixer: attn, ffn: moe}\n"));
    CHECK(with.total == without.total);
    CHECK(with.active == without.active);
    // per module: input norms 2 × 512 = 1,024; fusion 1,024 × 512 = 524,288; attention
    // 655,360; experts 8 × 3 × 512 × 64 = 786,432; router 8 × 512 = 4,096; block norms 1,024;
    // output norm 512 → 1,972,736; two modules 3,945,472
    CHECK(with.mtp_total == 3945472);
    for (const auto& row : with.mtp_rows) CHECK(row.active == 0);
  }
  SUBCASE("DeepSeek-V3's module: 11.61B, worked out from its config.json") {
    const auto report = model_params(load_architecture("deepseek-v3"));
    // eh_proj 14336 × 7168 = 102,760,448; enorm + hnorm + final norm 3 × 7168 = 21,504
    // MLA: q_a 7168 × 1536 = 11,010,048; q_b 1536 × 128 × 192 = 37,748,736;
    //   kv_a 7168 × 576 = 4,128,768; kv_b 512 × 128 × 256 = 16,777,216;
    //   o 128 × 128 × 7168 = 117,440,512; norms 1536 + 512 → 187,107,328
    // MoE: 257 experts (256 routed + 1 shared) × 3 × 7168 × 2048 = 11,318,329,344;
    //   router 256 × 7168 = 1,835,008 (its e_score_correction_bias is a buffer, not a
    //   parameter); block norms 2 × 7168 = 14,336
    // 102,760,448 + 21,504 + 187,107,328 + 11,318,329,344 + 1,835,008 + 14,336 = 11,610,067,968
    CHECK(report.mtp_total == 11610067968ULL);
  }
  SUBCASE("a file's mtp block must name a mixer and an FFN it defines") {
    const std::string base = architecture_yaml(kGqa, "  mixer: attn\n  ffn: moe", 1, moe);
    CHECK_THROWS_WITH(load_text(base + "mtp: {modules: 1, mixer: atn, ffn: moe}\n"),
                      doctest::Contains("mtp.mixer: expected the name of an instance under mixers:, "
                                        "found 'atn' (did you mean attn?)"));
    CHECK_THROWS_WITH(load_text(base + "mtp: {modules: 1, mixer: none, ffn: moe}\n"),
                      doctest::Contains("mtp: expected a mixer and an FFN instance"));
    CHECK_THROWS_WITH(load_text(base + "mtp: {modules: 0, mixer: attn, ffn: moe}\n"),
                      doctest::Contains("mtp.modules"));
  }
}

TEST_CASE("check_expectations on parameter counts") {
  // 3 GQA layers: 1,024,000 + 3 × (655,360 + 512) + 512 = 2,992,128
  const std::string base = architecture_yaml(kGqa, "  mixer: attn", 3);
  SUBCASE("an exact figure must match exactly") {
    CHECK(check_expectations(load_text(base + "expect: {params_total: 2992128}\n")).empty());
    CHECK(check_expectations(load_text(base + "expect: {params_total: 2992129}\n")).size() == 1);
  }
  SUBCASE("a rounded figure (millions) is checked within 0.5%") {
    // |2,992,128 − 3,000,000| / 3,000,000 = 0.26%
    CHECK(check_expectations(load_text(base + "expect: {params_total: 3000000}\n")).empty());
    // |2,992,128 − 2,000,000| / 2,000,000 = 49.6%
    CHECK(check_expectations(load_text(base + "expect: {params_total: 2000000}\n")).size() == 1);
  }
}

}  // namespace attnsim
