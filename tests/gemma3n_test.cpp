// Gemma 3n E4B (architectures/gemma-3n-e4b.yaml): KV sharing of the last 15 layers, and the
// per-layer embeddings, AltUp and LAuReL weights (model.per_layer_embeddings, altup_inputs,
// laurel_rank) against hand arithmetic from transformers' Gemma3nTextModel and a published figure.
#include <doctest/doctest.h>

#include <string>

#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "import/hf_tensor_names.h"
#include "tests/support.h"

namespace attnsim {

namespace {
std::uint64_t group_total(const ParamReport& report, std::string_view group) {
  std::uint64_t sum = 0;
  for (const ParamRow& row : report.rows)
    if (row.group == group) sum += row.total;
  return sum;
}

std::uint64_t component_total(const ParamReport& report, std::string_view component) {
  for (const ParamRow& row : report.rows)
    if (row.component == component) return row.total;
  FAIL("no row ", component);
  return 0;
}

std::string load_error(const std::string& yaml) {
  try {
    testing::load_text(yaml);
  } catch (const UserError& error) {
    return error.what();
  }
  FAIL("the file loaded");
  return "";
}
}  // namespace

TEST_CASE("kv_memory: gemma-3n-e4b keeps KV in its first 20 layers only") {
  const Architecture arch = load_architecture("gemma-3n-e4b");
  SUBCASE("the last 15 layers read layer 18 (sliding) or 19 (global)") {
    // Gemma3nTextAttention.kv_shared_layer_index: the last layer of the reader's own type below
    // 35 − 15 = 20; layers 4, 9, 14, 19, ... are global ((i + 1) % 5 == 0).
    for (std::size_t i = 0; i < 20; ++i) CHECK(!arch.layers[i].kv_shared_from);
    for (std::size_t i = 20; i < 35; ++i)
      CHECK(arch.layers[i].kv_shared_from == ((i + 1) % 5 == 0 ? 19u : 18u));
  }
  SUBCASE("bytes per token and at contexts") {
    // One layer: Hkv·(Dk + Dv) = 2·512 = 1,024 elements × 2 bytes = 2,048 B per token.
    // 20 owners × 2,048 = 40,960 B per token before windows.
    const MemoryReport report = kv_memory(arch, {100, 32768}, 1);
    CHECK(report.kv_bytes_per_token == 40'960);
    // L = 100 is inside the window: 20 × 100 × 2,048 = 4,096,000.
    CHECK(report.rows[0].kv_bytes == 4'096'000);
    // L = 32,768: 16 sliding owners × 512 × 2,048 = 16,777,216 and 4 global owners
    // × 32,768 × 2,048 = 268,435,456; sum 285,212,672.
    CHECK(report.rows[1].kv_bytes == 285'212'672);
  }
}

TEST_CASE("model_params: gemma-3n-e4b's per-layer embeddings, AltUp and LAuReL") {
  const Architecture arch = load_architecture("gemma-3n-e4b");
  const ParamReport report = model_params(arch);
  // D = 2048, n = 35 layers, PLE w = 256 from a 262,144-row table, K = 4 AltUp streams, r = 64.
  SUBCASE("per-layer embeddings") {
    // Table 262,144 × 35·256 = 262,144 × 8,960 = 2,348,810,240 (a lookup: not active).
    CHECK(component_total(report, kPerLayerEmbeddingTable) == 2'348'810'240ULL);
    // per_layer_model_projection 2,048 × 8,960 = 18,350,080; projection norm 256; per layer
    // gate 2,048·256 + projection 256·2,048 = 1,048,576, × 35 = 36,700,160; norms 35 × 2,048.
    CHECK(component_total(report, "model projection") == 18'350'080);
    CHECK(component_total(report, "layer gates and projections") == 36'700'160);
    CHECK(group_total(report, kPerLayerEmbeddings) ==
          2'348'810'240ULL + 18'350'080 + 256 + 36'700'160 + 35 * 2'048);
  }
  SUBCASE("AltUp") {
    // altup_projections + altup_unembed_projections: 2 × 3 × 2,048² = 25,165,824. Per layer:
    // modality_router 2,048·4 = 8,192, correction_coefs 4·4 = 16, prediction_coefs 4·16 = 64,
    // correct_output_scale 2,048, router_norm 2,048: 12,368 × 35 = 432,880.
    CHECK(component_total(report, "stream projections") == 25'165'824);
    CHECK(group_total(report, kAltUp) == 25'165'824 + 432'880);
  }
  SUBCASE("LAuReL") {
    // linear_left 2,048·64 + linear_right 64·2,048 = 262,144 and post_laurel_norm 2,048:
    // 264,192 × 35 = 9,246,720.
    CHECK(group_total(report, kLaurel) == 9'246'720);
  }
  SUBCASE("the whole text decoder") {
    // embed_tokens 262,400 × 2,048 = 537,395,200 (tied with the lm head). One layer:
    //   attention q 2,048·2,048 + k, v 2 × 2,048·512 + o 2,048·2,048 + q_norm, k_norm 2 × 256
    //     = 10,486,272; MLP 3 × 2,048·16,384 = 100,663,296; four layer norms 8,192;
    //   AltUp 12,368; LAuReL 264,192; PLE gate, projection, norm 1,050,624 → 112,484,944.
    // 35 layers 3,936,973,040 + embeddings 537,395,200 + PLE table 2,348,810,240 + PLE model
    // projection and norm 18,350,336 + AltUp projections 25,165,824 + final norm 2,048
    // = 6,866,696,688.
    CHECK(report.total == 6'866'696'688ULL);
    // Google's "effective parameters" leave out both embedding tables:
    // 6,866,696,688 − 537,395,200 − 2,348,810,240 = 3,980,491,248, published as 3.98B for the
    // main E4B model (google/gemma3n-slicing-configs, "# Effective Params (B)").
    const std::uint64_t effective = report.total - 537'395'200ULL - 2'348'810'240ULL;
    CHECK(effective == 3'980'491'248ULL);
    CHECK(static_cast<double>(effective) / 1e9 == doctest::Approx(3.98).epsilon(0.005 / 3.98));
    // Active: no lookup table, and the 15 readers' k/v projections and k norms are stored but
    // never run: 15 × (2 × 2,048·512 + 256) = 31,461,120. 6,866,696,688 − 2,348,810,240
    // − 31,461,120 = 4,486,425,328 (the tied table counts as the lm head).
    CHECK(report.active == 4'486'425'328ULL);
    CHECK(report.active_with_embeddings == 4'486'425'328ULL + 2'348'810'240ULL);
  }
  SUBCASE("transformers' tensor names add up to the total") {
    std::uint64_t sum = 0;
    std::uint64_t ple_table = 0;
    std::uint64_t prediction_coefs = 0;
    for (const import::NamedTensor& tensor : import::transformers_tensors(arch)) {
      sum += tensor.elements;
      if (tensor.name == "model.embed_tokens_per_layer.weight") ple_table = tensor.elements;
      if (tensor.name == "model.layers.*.altup.prediction_coefs.weight") {
        prediction_coefs = tensor.elements;
        CHECK(tensor.layers == 35);
      }
    }
    CHECK(sum == report.total);
    CHECK(ple_table == 2'348'810'240ULL);
    CHECK(prediction_coefs == 35 * 64);
  }
  SUBCASE("a decode step reads one row of each embedding table per token") {
    // Everything but the PLE table, plus one of its rows (35·256 = 8,960) and one row of the
    // tied input table (2,048): 6,866,696,688 − 2,348,810,240 + 8,960 + 2,048.
    CHECK(weight_params_read(arch, 1.0) == doctest::Approx(4'517'897'456.0));
  }
}

TEST_CASE("model_flops: gemma-3n-e4b's per-layer embeddings, AltUp and LAuReL per token") {
  const FlopReport report = model_flops(load_architecture("gemma-3n-e4b"), 10, 100, {});
  auto row_of = [&](std::string_view group) {
    for (const FlopRow& row : report.rows)
      if (row.group == group) return row;
    FAIL("no row ", group);
    return FlopRow{};
  };
  // D = 2048, 35 layers, w = 256, K = 4, r = 64; 2 FLOPs per weight of each matmul.
  // PLE: model projection 2·2,048·8,960 = 36,700,160 + 35 × 2·(2,048·256 + 256·2,048)
  // = 73,400,320.
  CHECK(row_of(kPerLayerEmbeddings).decode == doctest::Approx(110'100'480.0));
  CHECK(row_of(kPerLayerEmbeddings).prefill == doctest::Approx(10 * 110'100'480.0));
  // AltUp: stream projections 2 × 2·3·2,048² = 50,331,648; per layer the router twice
  // 2 × 2·2,048·4 = 32,768, prediction coefs 2·4·16 = 128, correction coefs 2·4·4 = 32,
  // predict 2·2,048·16 = 65,536, correct 2·2,048·4 = 16,384: 114,848 × 35 = 4,019,680.
  CHECK(row_of(kAltUp).decode == doctest::Approx(50'331'648.0 + 4'019'680.0));
  // LAuReL: 35 × 2·(2,048·64 + 64·2,048) = 18,350,080.
  CHECK(row_of(kLaurel).decode == doctest::Approx(18'350'080.0));
}

TEST_CASE("read_dims: per_layer_embeddings, altup_inputs, laurel_rank") {
  const std::string mixers = "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}";
  auto with_model_keys = [&](const std::string& keys) {
    std::string yaml = testing::architecture_yaml(mixers, "  mixer: attn", 2);
    const std::size_t at = yaml.find("  n_layers:");
    REQUIRE(at != std::string::npos);
    return yaml.insert(at, keys);
  };
  SUBCASE("a small model, by hand") {
    // D = 512, 2 layers, PLE w = 4 over 10 rows, K = 2, r = 3.
    const ParamReport report = model_params(testing::load_text(
        with_model_keys("  per_layer_embeddings: {vocab_size: 10, width: 4}\n  altup_inputs: 2\n"
                        "  laurel_rank: 3\n")));
    // table 10 × 2·4 = 80; model projection 512·8 = 4,096; norm 4; per layer 2·512·4 + 512
    // = 4,608, × 2 = 9,216.
    CHECK(group_total(report, kPerLayerEmbeddings) == 80 + 4'096 + 4 + 9'216);
    // projections 2 × 1 × 512² = 524,288; per layer 512·2 + 4 + 8 + 512 + 512 = 2,060, × 2.
    CHECK(group_total(report, kAltUp) == 524'288 + 4'120);
    // per layer 2 × 512·3 + 512 = 3,584, × 2.
    CHECK(group_total(report, kLaurel) == 7'168);
  }
  SUBCASE("mistakes") {
    CHECK(load_error(with_model_keys("  altup_inputs: 1\n")).find("at least 2 streams") !=
          std::string::npos);
    CHECK(load_error(with_model_keys("  per_layer_embeddings: {vocab_size: 10, widht: 4}\n"))
              .find("width") != std::string::npos);
  }
}

}  // namespace attnsim
