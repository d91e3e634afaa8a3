// Persistent meta tokens (model.meta_tokens, Hymba): every layer that keeps KV keeps them beside
// its context — a sliding window beside its W tokens — in kv, capacity and the roofline, and their
// M × D weights are parameters that a token does not multiply with. Hand arithmetic throughout.
#include <doctest/doctest.h>

#include <string>

#include "cost/capacity.h"
#include "cost/layer_cache.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::load_error;

namespace {
// d_model 512; layer 0 full GQA attention, layer 1 the same with a 16-token window: each
// Hkv·(Dk + Dv) = 2·16 = 32 elements × 2 bytes = 64 B per token. `model_keys` go under model:.
std::string meta_yaml(const std::string& model_keys) {
  std::string yaml = testing::architecture_yaml(
      "  full: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}\n"
      "  local: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8, window: 16}",
      "  mixer: {list: [full, local]}", 2);
  const std::size_t at = yaml.find("  n_layers:");
  REQUIRE(at != std::string::npos);
  return yaml.insert(at, model_keys);
}

}  // namespace

TEST_CASE("kv_memory: meta tokens in every attention layer, windows included") {
  const Architecture arch = testing::load_text(meta_yaml("  meta_tokens: 4\n"));
  const MemoryReport report = kv_memory(arch, {10, 100}, 3);
  // Per token before caps is unchanged: 2 layers × 64 B.
  CHECK(report.kv_bytes_per_token == 128);
  // L = 10: full (10 + 4) × 64 = 896, local min(10, 16) + 4 = 14 tokens × 64 = 896; × 3 sequences.
  CHECK(report.rows[0].kv_bytes == 3 * (896 + 896));
  // L = 100: full 104 × 64 = 6,656, local (16 + 4) × 64 = 1,280: 7,936 per sequence.
  CHECK(report.rows[1].kv_bytes == 3 * 7'936);
  // The full-attention baseline is the same model with its meta tokens: 2 × 104 × 64 × 3.
  CHECK(report.rows[1].full_attention_bytes == 3 * 2 * 104 * 64);
}

TEST_CASE("LayerCache::kv_bytes: meta tokens in pages") {
  // 16-token pages, 64 B per token, P = 4 meta tokens, L = 100.
  LayerCache full;
  full.block_tokens = 16;
  full.growing.push_back({64, std::nullopt, false, 4});
  // The prefix heads the sequence: cdiv(104, 16) = 7 pages = 112 tokens × 64 = 7,168.
  CHECK(full.kv_bytes(100) == 7'168);
  LayerCache sliding = full;
  sliding.growing.front().max_tokens = 32;
  sliding.growing.front().sliding = true;
  // Window pages cdiv(100, 16) − ⌊(100 − 32) / 16⌋ = 7 − 4 = 3, and cdiv(4, 16) = 1 page for
  // the meta tokens: 4 × 16 × 64 = 4,096.
  CHECK(sliding.kv_bytes(100) == 4'096);
}

TEST_CASE("model_params: meta tokens are M × D weights, not active") {
  const ParamReport with = model_params(testing::load_text(meta_yaml("  meta_tokens: 4\n")));
  const ParamReport without = model_params(testing::load_text(meta_yaml("")));
  CHECK(with.total == without.total + 4 * 512);
  CHECK(with.active == without.active);
}

TEST_CASE("roofline and capacity: meta tokens in the KV read and held") {
  const Architecture arch = testing::load_text(meta_yaml("  meta_tokens: 4\n"));
  const Hardware hardware = load_hardware("h100-sxm");
  SUBCASE("roofline decode reads them every step") {
    RooflineOptions options;
    options.context = 100;
    options.batch = 2;
    options.timing = TimingModel::spec;
    const RooflineReport report = roofline(arch, hardware, options);
    // 2 sequences × 7,936 B (see kv_memory above).
    CHECK(report.decode.bytes.kv_bytes == doctest::Approx(2.0 * 7'936.0));
  }
  SUBCASE("the paper capacity charges each request its meta tokens") {
    CapacityOptions options;
    options.max_model_len = 100;
    const Capacity capacity = paper_capacity(arch, hardware, options);
    // requests = budget / 7,936 B per request of 100 tokens
    CHECK(capacity.max_concurrency ==
          doctest::Approx(static_cast<double>(capacity.budget_bytes) / 7'936.0));
  }
}

TEST_CASE("read_dims: meta_tokens") {
  CHECK(load_error(meta_yaml("  meta_tokens: 0\n")).find("meta_tokens") != std::string::npos);
  // A model without a KV cache has nowhere to keep them.
  const std::string mamba_only = testing::architecture_yaml(
      "  m: {kind: mamba1, d_inner: 64, state_size: 4, conv_kernel: 4}", "  mixer: m", 1);
  std::string yaml = mamba_only;
  yaml.insert(yaml.find("  n_layers:"), "  meta_tokens: 8\n");
  CHECK(load_error(yaml).find("a model with a layer that keeps KV per token") != std::string::npos);
}

}  // namespace attnsim
