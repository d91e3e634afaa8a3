// Tests of `attnsim simulate`: the scaling rule on a shipped file, and measured-vs-predicted
// agreement for one architecture of every shipped family.
#include "sim/simulate.h"

#include <doctest/doctest.h>

#include "graph/load.h"
#include "report/simulate_report.h"
#include "tests/support.h"

namespace attnsim {

namespace {
std::string instance_key(const config::Node& document, const std::string& instance,
                         const std::string& key) {
  const config::Node* mixers = document.find("mixers");
  REQUIRE(mixers != nullptr);
  const config::Node* node = mixers->find(instance);
  REQUIRE(node != nullptr);
  const config::Node* value = node->find(key);
  REQUIRE(value != nullptr);
  return value->scalar;
}
}  // namespace

TEST_CASE("scale_document") {
  const config::Node resolved = load_resolved_document(resolve_architecture("qwen3-next-80b-a3b"));
  SUBCASE("N = 8 keeps the GVA ratio and divides widths") {
    const config::Node scaled = sim::scale_document(resolved, {8, 8});
    // gdn: H = max(1, 16/8) = 2, HV = 2·(32/16) = 4, K = V = 128/8 = 16, conv kernel kept.
    CHECK(instance_key(scaled, "gdn", "n_qk_heads") == "2");
    CHECK(instance_key(scaled, "gdn", "n_v_heads") == "4");
    CHECK(instance_key(scaled, "gdn", "head_dim_k") == "16");
    CHECK(instance_key(scaled, "gdn", "conv_kernel") == "4");
    // attn: Hkv = max(1, 2/8) = 1, Hq = 1·(16/2) = 8, D = 256/8 = 32.
    CHECK(instance_key(scaled, "attn", "n_kv_heads") == "1");
    CHECK(instance_key(scaled, "attn", "n_heads") == "8");
    CHECK(instance_key(scaled, "attn", "head_dim") == "32");
    CHECK(scaled.find("model")->find("d_model")->scalar == "256");  // 2048 / 8
    CHECK(scaled.find("expect") == nullptr);
  }
  SUBCASE("widths stay even and at least 2") {
    const config::Node scaled = sim::scale_document(resolved, {1000, 1});
    CHECK(instance_key(scaled, "attn", "head_dim") == "2");  // 256/1000 = 0 → 2
    CHECK(instance_key(scaled, "gdn", "n_v_heads") == "2");  // 1·(32/16)
  }
}

TEST_CASE("simulate") {
  // One architecture per shipped family; N = 16, spans / 64 (gpt-oss window 128 → 2, Gemma 3
  // 512 → 8, DSA top-k 2048 → 32), T = 17 and 3 decode steps, chunks of 8 (17 = 8 + 8 + 1).
  sim::SimulateOptions options;
  options.scale = {16, 64};
  options.tokens = 17;
  options.decode_steps = 3;
  options.chunk = 8;
  for (const char* name : {"qwen3-next-80b-a3b",
                           "qwen3.5-27b",
                           "kimi-linear-48b-a3b",
                           "nemotron-3-nano-30b-a3b",
                           "nemotron-h-8b",
                           "bamba-9b",
                           "gemma-3-1b",
                           "llama-3.1-8b",
                           "deepseek-v3",
                           "deepseek-v3.2",
                           "ring-mini-linear-2.0",
                           "falcon-h1-34b",
                           "gpt-oss-20b",
                           "jamba-1.5-mini",
                           "lfm2-1.2b",
                           "recurrentgemma-2b",
                           "rwkv7-world3-2.9b",
                           "xlstm-7b",
                           "qwen3.5-27b-mamba3-hypothetical",
                           "mamba3-mimo-1.5b",
                           "granite-4.0-h-small",
                           "qwen3.5-9b",
                           "phi-4-mini-flash-reasoning",
                           "gemma-3n-e4b",
                           "hymba-1.5b",
                           "deepseek-v4-flash",
                           "deepseek-v4-pro"}) {
    SUBCASE(name) {
      const sim::SimulationReport report = sim::simulate(name, options);
      REQUIRE(!report.rows.empty());
      for (const sim::SimRow& row : report.rows) {
        INFO(name, " ", row.layer_kind, " ", row.quantity, " measured ", row.measured,
             " predicted ", row.predicted);
        CHECK(row.ok());
        CHECK(row.executed);  // every kind, Mamba-1 (jamba) included, has a reference kernel
        if (row.quantity == "kv bytes") CHECK(row.predicted >= 0.0);
      }
    }
  }
}

// The comparison must be exact and loud: one multiply-add (2 FLOPs) or one byte off in a single
// row turns that row and the summary into MISMATCH.
TEST_CASE("simulate reports a MISMATCH when one row is off by the smallest unit") {
  sim::SimulateOptions options;
  options.scale = {16, 64};
  options.tokens = 9;
  options.decode_steps = 2;
  const sim::SimulationReport agreeing = sim::simulate("qwen3-next-80b-a3b", options);
  REQUIRE(agreeing.all_ok());
  for (const double off_by : {2.0, 1.0}) {
    sim::SimulationReport report = agreeing;
    const std::size_t row = off_by == 2.0 ? 0 : report.rows.size() - 1;
    report.rows[row].predicted += off_by;
    CHECK_FALSE(report.rows[row].ok());
    CHECK_FALSE(report.all_ok());
    const std::string text = report::format_simulation(report);
    CHECK(text.find("MISMATCH: see the rows above") != std::string::npos);
    // exactly one row carries the flag (the summary line is the other occurrence)
    std::size_t flags = 0;
    for (std::size_t at = text.find("MISMATCH"); at != std::string::npos;
         at = text.find("MISMATCH", at + 1))
      ++flags;
    CHECK(flags == 2);
  }
}

TEST_CASE("run_simulate") {
  SUBCASE("agreement exits 0 and prints ok rows") {
    const auto result = testing::run({"simulate", "gpt-oss-20b", "--scale-down", "16",
                                      "--span-scale-down", "64", "--tokens", "9", "--decode", "2"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("sliding_attn") != std::string::npos);
    CHECK(result.out.find(" ok") != std::string::npos);
    CHECK(result.out.find("MISMATCH") == std::string::npos);
  }
  SUBCASE("a zero scale is a user error") {
    CHECK(testing::run({"simulate", "llama-3.1-8b", "--scale-down", "0"}).exit_code == 2);
  }
}

}  // namespace attnsim
