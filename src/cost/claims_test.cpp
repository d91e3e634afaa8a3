// Claims about a model (claims: in an architecture file) against what the model computes, on a
// small synthetic hybrid whose quantities are worked by hand here, and the loader's errors.
#include "cost/claims.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "core/error.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_text;

namespace {
// 8 layers: 2 GQA (2 KV heads of 64) + 6 Mamba-2, all with an MoE of 16 experts, top 4, 1
// shared (d_model 512, vocab 1000 untied; architecture_yaml's model).
std::string hybrid(const std::string& claims) {
  return architecture_yaml(
      "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 64}\n"
      "  m: {kind: mamba2, n_heads: 8, head_dim: 64, state_size: 16, n_groups: 1, conv_kernel: 4}\n"
      "ffns:\n"
      "  moe: {kind: moe, activation: swiglu, n_experts: 16, top_k: 4, expert_width: 256,\n"
      "        n_shared_experts: 1, shared_expert_width: 256}",
      "  mixer: {repeat: [m, m, m, attn]}\n  ffn: moe", 8, "claims:\n" + claims);
}

std::string claim(const std::string& quantity, double value, const std::string& extra = "") {
  return fmt::format("  - {{says: \"a claim\", source: \"a test\", quantity: {}, value: {}{}}}\n",
                     quantity, value, extra);
}

ClaimCheck only_check(const std::string& claims) {
  const auto checks = check_claims(load_text(hybrid(claims)));
  REQUIRE(checks.size() == 1);
  return checks.front();
}
}  // namespace

TEST_CASE("check_claims: counts") {
  CHECK(only_check(claim("layers", 8)).holds);
  CHECK(only_check(claim("layers:mamba2", 6)).holds);
  const ClaimCheck wrong = only_check(claim("layers:mamba2", 7));
  CHECK_FALSE(wrong.holds);
  CHECK(wrong.computed == 6);
  CHECK(wrong.verdict == "differs by -1");
  CHECK(only_check(claim("experts", 16)).holds);
  CHECK(only_check(claim("top_k", 4)).holds);
  CHECK(only_check(claim("shared_experts", 1)).holds);
  CHECK_FALSE(only_check(claim("shared_experts", 2)).holds);
}

TEST_CASE("check_claims: fractions and the KV saving") {
  // 2 attention layers of 8 mixer layers
  const ClaimCheck ratio = only_check(claim("attention_fraction", 0.25));
  CHECK(ratio.holds);
  CHECK(ratio.claimed_text == "25.0%");
  const ClaimCheck off = only_check(claim("attention_fraction", 0.3));
  CHECK_FALSE(off.holds);
  CHECK(off.verdict == "differs by -5.0 points");
  // KV: 2 layers × 2 heads × 128 × 2 B = 1,024 B/token; full attention in all 8 layers: 4,096.
  // State per sequence: 6 layers × (8·64·16 fp32 = 32,768 B + conv 3 × (512 + 32) bf16 =
  // 3,264 B) = 216,192 B. At 1,000 tokens: 1 − (1,024,000 + 216,192) / 4,096,000.
  const ClaimCheck saving = only_check(claim("kv_saving", 0.75, ", context: 1000"));
  CHECK(saving.computed == doctest::Approx(1.0 - (1024000.0 + 216192.0) / 4096000.0));
  CHECK_FALSE(saving.holds);  // 69.7%
  CHECK(only_check(claim("kv_saving", 0.7, ", context: 1000, tolerance: 0.01")).holds);
  CHECK(only_check(claim("kv_bytes_per_token", 1024)).holds);
}

TEST_CASE("check_claims: parameters within 0.5% unless a tolerance is given") {
  const ClaimCheck exact = only_check(claim("params_total", 1));
  const double total = exact.computed;
  CHECK(only_check(claim("params_total", total * 1.004)).holds);
  CHECK_FALSE(only_check(claim("params_total", total * 1.01)).holds);
  CHECK(
      only_check(claim("params_total", total * 1.01, fmt::format(", tolerance: {}", total * 0.02)))
          .holds);
}

TEST_CASE("check_claims: attention_fraction counts sliding layers and KV readers as attention") {
  // 6 layers: 2 Mamba-2, 3 sliding (window 64), 1 global: the attending kinds are 4 of 6.
  const auto checks = check_claims(load_text(architecture_yaml(
      "  local: {kind: softmax_attn, n_heads: 4, n_kv_heads: 1, head_dim: 64, window: 64}\n"
      "  global: {kind: softmax_attn, n_heads: 4, n_kv_heads: 1, head_dim: 64}\n"
      "  m: {kind: mamba2, n_heads: 8, head_dim: 64, state_size: 16, n_groups: 1, conv_kernel: 4}",
      "  mixer: {repeat: [m, local, local, m, local, global]}", 6,
      "baseline_attention: global\nclaims:\n" + claim("attention_fraction", 4.0 / 6.0))));
  REQUIRE(checks.size() == 1);
  CHECK(checks.front().holds);
  CHECK(checks.front().claimed_text == "66.7%");
}

TEST_CASE("check_claims: a parameter claim against a lower bound is not settled") {
  // The hybrid with its MoE FFNs marked unknown: whatever the claim, no verdict either way.
  const auto checks = check_claims(
      load_text(hybrid(claim("params_total", 1) + claim("layers", 8)) +
                "unknown_params:\n  - {part: router biases, reason: not published}\n"));
  REQUIRE(checks.size() == 2);
  CHECK_FALSE(checks[0].holds);
  CHECK(checks[0].computed_text.starts_with("≥ "));
  CHECK(checks[0].verdict ==
        "cannot be settled: the count is a lower bound (unknown_params: router biases)");
  CHECK(checks[1].holds);  // other quantities are still checked
}

TEST_CASE("claims: mistakes are located errors") {
  auto fails = [](const std::string& claims, const char* message) {
    CHECK_THROWS_WITH_AS(load_text(hybrid(claims)), doctest::Contains(message), UserError);
  };
  fails(claim("layer_count", 8), "claims[0].quantity");
  fails(claim("kv_saving", 0.8), "the context the saving is stated at");
  fails(claim("layers", 8, ", context: 1000"), "only kv_saving takes one");
  fails(claim("layers", 8, ", tolerance: -1"), "a number ≥ 0");
  fails("  - {says: \"x\", source: \"y\", quantity: layers}\n", "claims[0].value");
}

TEST_CASE("claims are about one model: an extends: child does not inherit them") {
  const testing::ScratchDir dir;
  dir.write("base.yaml", hybrid(claim("layers", 8)));
  const auto child = dir.write("child.yaml", "extends: base.yaml\ndisplay_name: Child\n");
  CHECK(load_architecture_file(dir.path() / "base.yaml").claims.size() == 1);
  CHECK(load_architecture_file(child).claims.empty());
}

}  // namespace attnsim
