// DeepSeek V4's compressed attention (mixers/compressed_attn): cache terms, parameters and FLOPs
// of small instances against arithmetic written out here, DeepSeek-V4-Flash's file, the
// published V4-Pro figure (vLLM blog: 9.62 GiB per 1M-token sequence in bf16), and import-hf.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "config/document.h"
#include "cost/expectations.h"
#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "import/importer.h"
#include "mixers/mixer.h"
#include "tests/reference_dir.h"
#include "tests/support.h"

namespace attnsim {

namespace {
// Three layers of D = 32: a window-only layer, a CSA layer (m = 4, overlapping, indexer 2 × 8,
// top-3) and an HCA layer (m = 16); H = 4 query heads, one shared K=V head of 16, window 8.
constexpr const char* kSmall = R"(display_name: small
family: test
params_label: test
source: {references: [test]}
model: {d_model: 32, vocab_size: 100, n_layers: 3, tied_embeddings: false}
dtypes: {weights: bf16, kv_cache: bf16}
mixers:
  swa: {kind: compressed_attn, n_heads: 4, head_dim: 16, q_lora_rank: 8, o_lora_rank: 6,
        o_groups: 2, window: 8}
  csa: {kind: compressed_attn, n_heads: 4, head_dim: 16, q_lora_rank: 8, o_lora_rank: 6,
        o_groups: 2, window: 8, compress_ratio: 4, compressor_overlap: true, indexer_heads: 2,
        indexer_head_dim: 8, topk: 3}
  hca: {kind: compressed_attn, n_heads: 4, head_dim: 16, q_lora_rank: 8, o_lora_rank: 6,
        o_groups: 2, window: 8, compress_ratio: 16}
ffns: {mlp: {kind: dense, activation: swiglu, d_ff: 64}}
layers: {mixer: {list: [swa, csa, hca]}, ffn: mlp}
)";

Architecture load_text(const std::string& yaml) {
  return build_architecture(config::parse_document(yaml, "test.yaml"), "test", "test.yaml");
}

const Layer& layer(const Architecture& architecture, std::size_t index) {
  return architecture.layers.at(index);
}
}  // namespace

TEST_CASE("compressed_attn: cache terms") {
  const Architecture small = load_text(kSmall);
  SUBCASE("KV at L = 100: window, compressed entries of complete groups, indexer keys") {
    // swa: min(100, 8) · 16 · 2 B = 256. csa: 256 + ⌊100/4⌋ = 25 entries · (16 + 8) · 2 B = 1,200.
    // hca: 256 + ⌊100/16⌋ = 6 entries · 16 · 2 B = 192. Total 256 + 1,456 + 448 = 2,160.
    const MemoryRow row = kv_memory(small, {100}, 1).rows.front();
    CHECK(row.kv_bytes == 2160);
    // At L = 3 no group is complete: the windows only, 3 · 32 B each.
    CHECK(kv_memory(small, {3}, 1).rows.front().kv_bytes == 3 * 96);
  }
  SUBCASE("state: the compressors' fp32 kv and score buffers") {
    // csa: 2 · (2 · 4 rows) · (2 · 16) = 512 and the indexer's 2 · 8 · (2 · 8) = 256 elements;
    // hca: 2 · 16 rows · 16 = 512 elements. (512 + 256 + 512) · 4 B = 5,120.
    CHECK(kv_memory(small, {100}, 1).rows.front().state_bytes == 5120);
  }
  SUBCASE("bytes per token before window caps: an entry's bytes over its tokens") {
    // 3 · 32 (windows) + (16 + 8) · 2 / 4 + 16 · 2 / 16 = 96 + 12 + 2 = 110.
    CHECK(kv_memory(small, {1}, 1).kv_bytes_per_token == 110);
  }
  SUBCASE("the all-attention baseline: one shared K=V entry per token, no window") {
    // 3 layers · 100 · 16 · 2 B = 9,600.
    CHECK(kv_memory(small, {100}, 1).rows.front().full_attention_bytes == 9600);
  }
  SUBCASE("layer kinds") {
    CHECK(layer(small, 0).mixer->layer_kind() == "swa_mqa");
    CHECK(layer(small, 1).mixer->layer_kind() == "csa");
    CHECK(layer(small, 2).mixer->layer_kind() == "hca");
  }
}

TEST_CASE("compressed_attn: parameters") {
  const Architecture small = load_text(kSmall);
  const ParamContext context{32};
  // Attention: wq_a 32·8 + wq_b 8·4·16 + wkv 32·16 + wo_a 4·16·6 + wo_b 2·6·32
  // = 256 + 512 + 512 + 384 + 384 = 2,048; norms 8 + 16 = 24; sinks 4.
  const ParamCounts swa = layer(small, 0).mixer->params(context);
  CHECK(static_cast<std::uint64_t>(swa.at("projections")) == 2048);
  CHECK(static_cast<std::uint64_t>(swa.at("norms")) == 24);
  CHECK(static_cast<std::uint64_t>(swa.at("sinks")) == 4);
  CHECK_FALSE(swa.contains("compressor"));
  const ParamCounts csa = layer(small, 1).mixer->params(context);
  // Compressor (coff 2): wkv and wgate 32 · 32 each, ape 4 · 32, norm 16 = 2,048 + 128 + 16.
  CHECK(static_cast<std::uint64_t>(csa.at("compressor")) == 2192);
  // Indexer: wq_b 8 · 2 · 8 = 128, weights_proj 32 · 2 = 64, its compressor wkv and wgate
  // 32 · 16 each = 1,024, ape 4 · 16 = 64, norm 8: 1,288.
  CHECK(static_cast<std::uint64_t>(csa.at("indexer")) == 1288);
  // HCA compressor (coff 1): 2 · 32 · 16 + ape 16 · 16 + norm 16 = 1,024 + 256 + 16.
  CHECK(static_cast<std::uint64_t>(layer(small, 2).mixer->params(context).at("compressor")) ==
        1296);
}

TEST_CASE("compressed_attn: FLOPs") {
  const Architecture small = load_text(kSmall);
  const FlopContext context{32, CausalConvention::half, LinearAlgorithm::chunked, 64};
  const Mixer& csa = *layer(small, 1).mixer;
  SUBCASE("decode at L = 100: window 8 + min(⌊100/4⌋, 3) = 11 keys, H·D = 64 each") {
    const FlopCounts flops = csa.decode_flops(context, 100);
    CHECK(flops.at("scores") == 2.0 * 64 * 11);
    CHECK(flops.at("av") == 2.0 * 64 * 11);
    // Indexer: projections 8·2·8 + 32·2 + 2·32·2·8 = 128 + 64 + 1,024 and 25 entries · 2 · 8.
    CHECK(flops.at("indexer") == 2.0 * 1216);
    CHECK(flops.at("index_scores") == 2.0 * 25 * 16);
    CHECK(flops.at("compressor") == 2.0 * (2 * 32 * 2 * 16));
    CHECK(flops.at("projections") == 2.0 * 2048);
  }
  SUBCASE("prefill of 61 tokens: the sum of each position's keys, counted here token by token") {
    double keys = 0, entries = 0;
    for (std::uint64_t t = 1; t <= 61; ++t) {
      keys +=
          static_cast<double>(std::min<std::uint64_t>(t, 8) + std::min<std::uint64_t>(t / 4, 3));
      entries += static_cast<double>(t / 4);
    }
    const FlopCounts flops = csa.prefill_flops(context, 61);
    CHECK(flops.at("scores") == 2.0 * 64 * keys);
    CHECK(flops.at("indexer") == 2.0 * 61 * 1216);
    CHECK(flops.at("index_scores") == 2.0 * 16 * entries);
    const Mixer& hca = *layer(small, 2).mixer;
    double hca_keys = 0;
    for (std::uint64_t t = 1; t <= 61; ++t)
      hca_keys += static_cast<double>(std::min<std::uint64_t>(t, 8) + t / 16);
    CHECK(hca.prefill_flops(context, 61).at("av") == 2.0 * 64 * hca_keys);
  }
}

TEST_CASE("compressed_attn: invalid shapes are located errors") {
  const auto error = [](const std::string& from, const std::string& to) {
    std::string yaml = kSmall;
    yaml.replace(yaml.find(from), from.size(), to);
    try {
      load_text(yaml);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("o_groups: 2, window: 8}", "o_groups: 3, window: 8}").find("o_groups") !=
        std::string::npos);
  CHECK(error("o_groups: 2, window: 8, compress_ratio: 16}",
              "o_groups: 2, window: 8, indexer_heads: 2}")
            .find("indexer_heads") != std::string::npos);
  CHECK(error("indexer_head_dim: 8, topk: 3}", "indexer_head_dim: 8}").find("topk") !=
        std::string::npos);
  // The reference kernel's RoPE tail: even, within the head (16) and the indexer head (8).
  CHECK(error("indexer_head_dim: 8, topk: 3}", "indexer_head_dim: 8, topk: 3, rope_head_dim: 3}")
            .find("rope_head_dim") != std::string::npos);
  CHECK(error("indexer_head_dim: 8, topk: 3}", "indexer_head_dim: 8, topk: 3, rope_head_dim: 12}")
            .find("indexer_head_dim (8)") != std::string::npos);
  CHECK(error("indexer_head_dim: 8, topk: 3}", "indexer_head_dim: 8, topk: 3, rope_head_dim: 8}") ==
        "no error");
}

TEST_CASE("deepseek-v4-flash: KV and state against the hand computation in its notes") {
  const Architecture flash = load_architecture("deepseek-v4-flash");
  const MemoryReport report = kv_memory(flash, {1048576}, 1);
  // 43 · 128 · 1024 + 21 · 262,144 · 1280 + 20 · 8192 · 1024.
  CHECK(report.rows.front().kv_bytes == 5'636'096ULL + 7'046'430'720ULL + 167'772'160ULL);
  CHECK(report.kv_bytes_per_token == 43 * 1024 + 21 * 320 + 20 * 8);
  CHECK(report.state_bytes_per_sequence == 21 * 81'920 + 20 * 524'288);
  CHECK(check_expectations(flash).empty());
}

TEST_CASE("hyper-connections: DeepSeek-V4-Flash's mixing weights and work, by hand") {
  // n = 4 streams of D = 4096 (hc_mult; reference model.py's Block and Transformer): per layer
  // hc_attn_fn and hc_ffn_fn of (2 + 4)·4 = 24 × 4·4096 = 16,384, base 24 and scale 3 each.
  const Architecture flash = load_architecture("deepseek-v4-flash");
  const ParamReport params = model_params(flash);
  auto row = [](const std::vector<ParamRow>& rows, const std::string& group,
                const std::string& component) {
    for (const ParamRow& r : rows)
      if (r.group == group && r.component == component) return r;
    FAIL("no row ", group, " ", component);
    return ParamRow{};
  };
  const ParamRow weights = row(params.rows, "hyper-connections", "mixing weights");
  CHECK(weights.total == 43ULL * 2 * 24 * 16'384);  // 33,816,576
  CHECK(weights.active == weights.total);
  CHECK(row(params.rows, "hyper-connections", "biases and scales").total == 43 * 2 * (24 + 3));
  // hc_head_fn 4 × 16,384, hc_head_base 4, hc_head_scale 1.
  CHECK(row(params.rows, "hyper-connections", "head mixing").total == 65'536 + 4 + 1);
  // 33,816,576 + 2,322 + 65,541 = 33,884,439 more than the layer graph without them.
  Architecture plain = flash;
  plain.dims.hyper_connections.reset();
  CHECK(params.total - model_params(plain).total == 33'884'439);
  CHECK(params.active - model_params(plain).active == 33'884'439);
  // The MTP block is a Block too (786,486) with its own head (65,541).
  CHECK(params.mtp_total - model_params(plain).mtp_total == 2 * 393'216 + 2 * 27 + 65'541);

  // Per decoded token: hc_fn 86 × 2 · 16,384 · 24 = 67,633,152; pre 86 × 2 · 16,384 = 2,818,048;
  // post 86 × (2 · 16,384 + 2 · 4 · 16,384) = 14,090,240; the head's hc_head_fn 2 · 16,384 · 4
  // = 131,072 and its reduction 2 · 16,384 = 32,768: 84,705,280 FLOPs.
  const FlopOptions options{};
  const auto flops = [&](const Architecture& a) { return model_flops(a, 1, 1024, options); };
  CHECK(flops(flash).decode_total - flops(plain).decode_total == doctest::Approx(84'705'280.0));
  // A prefill of T tokens does it T times.
  CHECK(model_flops(flash, 1000, 1024, options).prefill_total -
            model_flops(plain, 1000, 1024, options).prefill_total ==
        doctest::Approx(1000 * 84'705'280.0));
}

TEST_CASE("deepseek-v4-pro: KV, experts and hyper-connections by hand, the whole against 1.6T") {
  const Architecture pro = load_architecture("deepseek-v4-pro");
  // 61 · 128 · 1024 (windows) + 30 · 262,144 · 1280 (CSA) + 31 · 8192 · 1024 (HCA).
  CHECK(kv_memory(pro, {1048576}, 1).rows.front().kv_bytes ==
        7'995'392ULL + 10'066'329'600ULL + 260'046'848ULL);
  CHECK(check_expectations(pro).empty());
  const ParamReport params = model_params(pro);
  std::uint64_t experts = 0, hyper = 0;
  for (const ParamRow& row : params.rows) {
    if (row.group == "ffn" && row.component == "routed_experts") experts = row.total;
    if (row.group == "hyper-connections") hyper += row.total;
  }
  // 61 layers · 384 experts · 3 · 7168 · 3072 (w1, w2, w3).
  CHECK(experts == 61ULL * 384 * 3 * 7168 * 3072);
  // 61 · (2 · 24 · 28,672 + 2 · 27) + 4 · 28,672 + 4 + 1.
  CHECK(hyper == 61ULL * (2 * 24 * 28'672 + 2 * 27) + 4 * 28'672 + 5);
  // "1.6T total, 49B active": DeepSeek-V4-Pro's model card (README) as a stored survey quotes it
  // (file id 55078873125); 1.6T counts the MTP module (1,598,837,325,086 with it).
  CHECK(static_cast<double>(params.total + params.mtp_total) ==
        doctest::Approx(1.6e12).epsilon(0.005));
  CHECK(static_cast<double>(params.active) == doctest::Approx(49e9).epsilon(0.005));
}

TEST_CASE("hyper-connections: one stream is no hyper-connections, a located error") {
  std::string yaml = kSmall;
  yaml.replace(yaml.find("tied_embeddings: false}"), 23,
               "tied_embeddings: false, hyper_connections: 1}");
  const std::string message = testing::load_error(yaml);
  CHECK(message.find("model.hyper_connections") != std::string::npos);
  CHECK(message.find("at least 2 streams (hc_mult") != std::string::npos);
}

TEST_CASE("DeepSeek-V4-Pro's published 9.62 GiB per 1M-token sequence (vLLM blog, bf16)") {
  // The Pro geometry as kvfit's test_deepseek_v4_matches_vllm_published_reference states it
  // (teilomillet/kvfit tests/test_architectures.py): 61 layers, 128 heads, 30 C4 + 31 C128 layers,
  // one 512 K=V head, window 128, indexer keys 128. Only the cache shapes matter here (the model
  // width and FFN are placeholders).
  testing::ScratchDir dir;
  std::string at_csa;
  for (int i = 0; i < 30; ++i) at_csa += fmt::format("{}{}", i ? ", " : "", i);
  const auto file = dir.write("pro.yaml", fmt::format(R"(display_name: DeepSeek-V4-Pro KV geometry
family: DeepSeek-V4
params_label: test
source: {{references: [kvfit test_deepseek_v4_matches_vllm_published_reference]}}
model: {{d_model: 7168, vocab_size: 129280, n_layers: 61, tied_embeddings: false}}
dtypes: {{weights: bf16, kv_cache: bf16}}
mixers:
  csa: {{kind: compressed_attn, n_heads: 128, head_dim: 512, q_lora_rank: 1024, o_lora_rank: 1024,
        o_groups: 8, window: 128, compress_ratio: 4, compressor_overlap: true, indexer_heads: 64,
        indexer_head_dim: 128, topk: 512}}
  hca: {{kind: compressed_attn, n_heads: 128, head_dim: 512, q_lora_rank: 1024, o_lora_rank: 1024,
        o_groups: 8, window: 128, compress_ratio: 128}}
ffns: {{mlp: {{kind: dense, activation: swiglu, d_ff: 64}}}}
layers: {{mixer: {{default: hca, at: {{csa: [{}]}}}}, ffn: mlp}}
)",
                                                      at_csa));
  const Architecture pro = load_architecture(file.string());
  // 61 · 128 · 1024 + 30 · 262,144 · 1280 + 31 · 8192 · 1024 = 10,334,371,840 B = 9.6247 GiB.
  const std::uint64_t bytes = kv_memory(pro, {1048576}, 1).rows.front().kv_bytes;
  CHECK(bytes == 7'995'392ULL + 10'066'329'600ULL + 260'046'848ULL);
  CHECK(static_cast<double>(bytes) / static_cast<double>(1ULL << 30) ==
        doctest::Approx(9.62).epsilon(0.0005));
}

TEST_CASE("import_hf: deepseek_v4 imports the fixture's config to the shipped file's graph") {
  std::ifstream in(testing::reference_dir() / "hf-configs" /
                   "deepseek-v4-flash.kvfit-fixture.json");
  const nlohmann::json fixture = nlohmann::json::parse(in);
  testing::ScratchDir dir;
  const auto config = dir.write("config.json", fixture.at("config").dump());
  const Architecture imported =
      build_architecture(config::parse_document(import::import_hf(config.string()), "imported"),
                         "imported", config.string());
  const Architecture shipped = load_architecture("deepseek-v4-flash");
  REQUIRE(imported.layers.size() == shipped.layers.size());
  for (std::size_t i = 0; i < shipped.layers.size(); ++i) {
    CAPTURE(i);
    CHECK(imported.layers[i].mixer->describe() == shipped.layers[i].mixer->describe());
    CHECK(imported.layers[i].ffn_name == shipped.layers[i].ffn_name);
  }
  CHECK(kv_memory(imported, {1048576}, 1).rows.front().kv_bytes ==
        kv_memory(shipped, {1048576}, 1).rows.front().kv_bytes);
  CHECK(imported.dims.hyper_connections == std::optional<std::uint64_t>(4));  // hc_mult
  CHECK(model_params(imported).total == model_params(shipped).total);
  REQUIRE(imported.mtp);
  CHECK(imported.mtp->modules == 1);
  SUBCASE("more than one KV head is not DeepSeek V4's attention: an error") {
    nlohmann::json bad = fixture.at("config");
    bad["num_key_value_heads"] = 2;
    const auto path = dir.write("bad.json", bad.dump());
    CHECK_THROWS_WITH_AS(import::import_hf(path.string()), doctest::Contains("num_key_value_heads"),
                         UserError);
  }
}

}  // namespace attnsim
