// import-hf reads each family's keys as its transformers configuration class does: one small
// config per rule, built here, with the expected layer graph and KV bytes written out by hand.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/document.h"
#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "import/importer.h"
#include "sim/simulate.h"
#include "tests/support.h"

namespace attnsim {

namespace {
Architecture import_json(const std::string& json) {
  testing::ScratchDir dir;
  const auto file = dir.write("config.json", json);
  const std::string yaml = import::import_hf(file.string());
  return build_architecture(config::parse_document(yaml, "imported"), "imported", file.string());
}

std::string import_error(const std::string& json) {
  testing::ScratchDir dir;
  const auto file = dir.write("config.json", json);
  try {
    import::import_hf(file.string());
  } catch (const UserError& error) {
    return error.what();
  }
  return "no error";
}

// The window of each layer's mixer (0: none), read from its cache terms.
std::vector<std::uint64_t> layer_windows(const Architecture& architecture) {
  std::vector<std::uint64_t> windows;
  for (const auto& layer : architecture.layers) {
    std::uint64_t window = 0;
    for (const auto& term : layer.mixer->cache_terms())
      if (term.max_tokens) window = *term.max_tokens;
    windows.push_back(window);
  }
  return windows;
}

std::uint64_t kv_bytes_at(const Architecture& architecture, std::uint64_t context) {
  return kv_memory(architecture, {context}, 1).rows.front().kv_bytes;
}

// A 4-layer gemma3_text config: Hkv = 2, Dh = 256, W = 1024, bf16; `extra` adds keys.
std::string gemma3(const std::string& extra) {
  return fmt::format(R"({{"model_type": "gemma3_text", "hidden_size": 512, "vocab_size": 1000,
      "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 256,
      "intermediate_size": 1024, "sliding_window": 1024, "torch_dtype": "bfloat16"{}}})",
                     extra);
}

// A Qwen-style config of `layers` layers (Hkv = 2, Dh = 64) with `extra` keys.
std::string qwen(const std::string& model_type, std::uint64_t layers, const std::string& extra) {
  return fmt::format(R"({{"model_type": "{}", "hidden_size": 256, "vocab_size": 1000,
      "num_hidden_layers": {}, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
      "intermediate_size": 512, "tie_word_embeddings": false, "torch_dtype": "bfloat16"{}}})",
                     model_type, layers, extra);
}
}  // namespace

TEST_CASE("map_gemma3: layer_types takes precedence over sliding_window_pattern") {
  // Per token per layer: K and V, 2 heads × 256 × 2 bytes each = 2 · 2 · 256 · 2 = 2,048 bytes.
  // A sliding layer holds min(8192, 1024) = 1,024 tokens: 2,097,152 bytes; a full one 8,192
  // tokens: 16,777,216 bytes.
  SUBCASE("layer_types [sliding × 3, full]: 3 · 2,097,152 + 16,777,216 = 23,068,672") {
    const Architecture result = import_json(gemma3(
        R"(, "sliding_window_pattern": 6, "layer_types": ["sliding_attention",
        "sliding_attention", "sliding_attention", "full_attention"])"));
    const std::vector<std::uint64_t> expected = {1024, 1024, 1024, 0};
    CHECK(layer_windows(result) == expected);
    CHECK(kv_bytes_at(result, 8192) == 23'068'672);
  }
  SUBCASE("no layer_types: (i + 1) % 6 == 0 is global, so all four slide: 4 · 2,097,152") {
    const Architecture result = import_json(gemma3(""));
    const std::vector<std::uint64_t> expected = {1024, 1024, 1024, 1024};
    CHECK(layer_windows(result) == expected);
    CHECK(kv_bytes_at(result, 8192) == 8'388'608);
  }
  SUBCASE("sliding_window_pattern 2: layers 1 and 3 are global") {
    const Architecture result = import_json(gemma3(R"(, "sliding_window_pattern": 2)"));
    const std::vector<std::uint64_t> expected = {1024, 0, 1024, 0};
    CHECK(layer_windows(result) == expected);
  }
  SUBCASE("layer_types of the wrong length is a located error") {
    CHECK(import_error(gemma3(R"(, "layer_types": ["full_attention"])"))
              .find("layer_types: expected one entry per layer (4, num_hidden_layers), found 1 "
                    "entries") != std::string::npos);
  }
  SUBCASE("an unknown layer type is named") {
    CHECK(import_error(gemma3(R"(, "layer_types": ["full_attention", "full_attention",
        "full_attention", "chunked_attention"])"))
              .find("layer_types[3]: expected one of: full_attention, sliding_attention, found "
                    "'chunked_attention'") != std::string::npos);
  }
}

TEST_CASE("sliding_layout: use_sliding_window and max_window_layers (Qwen2/Qwen3/Qwen3-MoE)") {
  // Per token per layer: 2 · 2 heads · 64 · 2 bytes = 512 bytes.
  SUBCASE("qwen3: layers i >= max_window_layers slide") {
    const Architecture result = import_json(
        qwen("qwen3", 6,
             R"(, "use_sliding_window": true, "sliding_window": 512, "max_window_layers": 4)"));
    const std::vector<std::uint64_t> expected = {0, 0, 0, 0, 512, 512};
    CHECK(layer_windows(result) == expected);
    // At 4,096 tokens: 4 full layers × 4,096 × 512 + 2 sliding × 512 × 512 = 8,388,608 + 524,288.
    CHECK(kv_bytes_at(result, 4096) == 8'912'896);
  }
  SUBCASE("qwen2: the same rule; max_window_layers defaults to 28") {
    const Architecture result =
        import_json(qwen("qwen2", 30, R"(, "use_sliding_window": true, "sliding_window": 512)"));
    std::vector<std::uint64_t> expected(30, 0);
    expected[28] = expected[29] = 512;
    CHECK(layer_windows(result) == expected);
  }
  SUBCASE("use_sliding_window false (or absent): sliding_window is ignored") {
    const std::vector<std::uint64_t> none(6, 0);
    CHECK(
        layer_windows(import_json(qwen(
            "qwen3", 6,
            R"(, "use_sliding_window": false, "sliding_window": 512, "max_window_layers": 0)"))) ==
        none);
    CHECK(layer_windows(import_json(qwen("qwen3", 6, R"(, "sliding_window": 512)"))) == none);
  }
  SUBCASE("an explicit layer_types wins over max_window_layers") {
    const Architecture result = import_json(
        qwen("qwen3", 3,
             R"(, "use_sliding_window": true, "sliding_window": 512, "max_window_layers": 0,
        "layer_types": ["full_attention", "sliding_attention", "full_attention"])"));
    const std::vector<std::uint64_t> expected = {0, 512, 0};
    CHECK(layer_windows(result) == expected);
  }
  SUBCASE("layer_types sliding without use_sliding_window: no window is in effect") {
    const Architecture result = import_json(
        qwen("qwen3", 2,
             R"(, "sliding_window": 512, "layer_types": ["full_attention", "sliding_attention"])"));
    const std::vector<std::uint64_t> none(2, 0);
    CHECK(layer_windows(result) == none);
  }
  SUBCASE("qwen3_moe has no max_window_layers: every layer slides") {
    const Architecture result = import_json(
        qwen("qwen3_moe", 3,
             R"(, "use_sliding_window": true, "sliding_window": 512, "max_window_layers": 2,
        "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 64)"));
    const std::vector<std::uint64_t> expected = {512, 512, 512};
    CHECK(layer_windows(result) == expected);
  }
}

TEST_CASE("sliding_layout: Mistral, Llama and SmolLM3") {
  SUBCASE("mistral: absent sliding_window is MistralConfig's 4096 on every layer; null is none") {
    const std::vector<std::uint64_t> windowed(2, 4096), none(2, 0);
    CHECK(layer_windows(import_json(qwen("mistral", 2, ""))) == windowed);
    CHECK(layer_windows(import_json(qwen("mistral", 2, R"(, "sliding_window": null)"))) == none);
  }
  SUBCASE("llama: LlamaConfig has no sliding window, so the key is ignored") {
    const std::vector<std::uint64_t> none(2, 0);
    CHECK(layer_windows(import_json(qwen("llama", 2, R"(, "sliding_window": 512)"))) == none);
  }
  SUBCASE("smollm3: with use_sliding_window, the NoPE layers (every 4th by default) slide") {
    const Architecture result =
        import_json(qwen("smollm3", 8, R"(, "use_sliding_window": true, "sliding_window": 256)"));
    const std::vector<std::uint64_t> expected = {0, 0, 0, 256, 0, 0, 0, 256};
    CHECK(layer_windows(result) == expected);
    CHECK(result.layers[3].mixer_name == "local_nope");
    CHECK(result.layers[2].mixer_name == "attn");
  }
}

namespace {
// A 6-layer glm_moe_dsa config: D = 256, MLA (dc = 512, dr = 64), indexer HI = 4, dI = 128,
// q latent 64, top-k 16; `extra` sets the indexer sharing keys.
std::string glm_dsa(const std::string& extra) {
  return fmt::format(R"({{"model_type": "glm_moe_dsa", "hidden_size": 256, "vocab_size": 1000,
      "num_hidden_layers": 6, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "num_attention_heads": 4, "q_lora_rank": 64, "kv_lora_rank": 512, "qk_nope_head_dim": 32,
      "qk_rope_head_dim": 64, "v_head_dim": 32, "index_topk": 16, "index_head_dim": 128,
      "index_n_heads": 4, "n_routed_experts": 4, "num_experts_per_tok": 2,
      "moe_intermediate_size": 64, "n_shared_experts": 1, "first_k_dense_replace": 1,
      "intermediate_size": 512{}}})",
                     extra);
}

double flops_of(const FlopReport& report, const std::string& operation) {
  double total = 0.0;
  for (const auto& row : report.rows)
    if (row.operation == operation) total += row.decode;
  return total;
}

std::uint64_t indexer_params(const Architecture& architecture) {
  for (const auto& row : model_params(architecture).rows)
    if (row.component == "indexer") return row.total;
  return 0;
}
}  // namespace

TEST_CASE("map_deepseek: GLM-5 shared indexers (glm_moe_dsa)") {
  // index_topk_freq 2, index_skip_topk_offset 2: layer i runs its own indexer when
  // max(i − 1, 0) % 2 == 0 → i = 0, 1, 3, 5; layers 2 and 4 reuse layers 1 and 3.
  const Architecture result =
      import_json(glm_dsa(R"(, "index_topk_freq": 2, "index_skip_topk_offset": 2)"));
  std::vector<std::string> names;
  for (const auto& layer : result.layers) names.push_back(layer.mixer_name);
  CHECK(names == std::vector<std::string>{"dsa", "dsa", "dsa_shared", "dsa", "dsa_shared", "dsa"});
  CHECK(result.layers[2].selection_from == 1u);
  CHECK(result.layers[4].selection_from == 3u);
  CHECK_FALSE(result.layers[3].selection_from.has_value());
  SUBCASE("KV: every layer keeps MLA's (512 + 64) · 2 bytes; only the 4 indexer layers keep keys") {
    // 6 · 1,152 + 4 · (128 fp8 bytes + 4 scale bytes) = 6,912 + 528 = 7,440 bytes per token.
    CHECK(kv_memory(result, {1}, 1).kv_bytes_per_token == 7440);
  }
  SUBCASE("parameters: the indexer's weights on the 4 indexer layers only") {
    // wq_b 64·4·128 + wk 256·128 + weights_proj 256·4 + k_norm 2·128 = 66,816 per layer.
    CHECK(indexer_params(result) == 4 * 66'816);
  }
  SUBCASE("decode FLOPs at L = 1,000: the indexer runs on 4 layers") {
    const FlopReport flops = model_flops(result, 1, 1000, {});
    CHECK(flops_of(flops, "index_scores") == 4 * 2.0 * 4 * 128 * 1000);  // 2·HI·dI·L
    CHECK(flops_of(flops, "index_weights") == 4 * 2.0 * 4 * 1000);       // 2·HI·L
    CHECK(flops_of(flops, "indexer") == 4 * 2.0 * (64 * 4 * 128 + 256 * 128 + 256 * 4));
  }
  SUBCASE("simulate: reusing layers attend to the reused selection, and agree with the model") {
    testing::ScratchDir dir;
    const auto config =
        dir.write("glm.json", glm_dsa(R"(, "index_topk_freq": 2, "index_skip_topk_offset": 2)"));
    const auto file = dir.write("glm.yaml", import::import_hf(config.string()));
    sim::SimulateOptions options;
    options.scale = {1, 1};
    options.tokens = 21;  // more than the top-k (16): the selection matters
    options.decode_steps = 2;
    const sim::SimulationReport report = sim::simulate(file.string(), options);
    for (const auto& row : report.rows) {
      INFO(row.layer_kind, " ", row.quantity, " measured ", row.measured, " predicted ",
           row.predicted);
      CHECK(row.ok());
    }
    CHECK(report.all_ok());
  }
  SUBCASE("index_topk_pattern as a string, and indexer_types, take precedence") {
    const Architecture pattern = import_json(glm_dsa(R"(, "index_topk_freq": 2,
        "index_topk_pattern": "FSSFFS")"));
    CHECK(pattern.layers[1].selection_from == 0u);
    CHECK(pattern.layers[2].selection_from == 0u);
    CHECK(pattern.layers[5].selection_from == 4u);
    const Architecture types = import_json(glm_dsa(R"(, "index_topk_pattern": "FSSFFS",
        "indexer_types": ["full", "full", "full", "full", "full", "shared"])"));
    CHECK(types.layers[5].selection_from == 4u);
    CHECK_FALSE(types.layers[1].selection_from.has_value());
  }
  SUBCASE("no sharing keys: every layer runs its own indexer (index_topk_freq defaults to 1)") {
    const Architecture own = import_json(glm_dsa(""));
    CHECK(kv_memory(own, {1}, 1).kv_bytes_per_token == 6 * (1152 + 132));
  }
  SUBCASE("FFNs: mlp_layer_types wins; else first_k_dense_replace, whose default is 3") {
    std::vector<std::string> ffns;
    for (const auto& layer : import_json(glm_dsa(R"(, "mlp_layer_types": ["dense", "sparse",
        "dense", "sparse", "sparse", "sparse"])"))
                                 .layers)
      ffns.push_back(layer.ffn_name);
    CHECK(ffns == std::vector<std::string>{"dense", "moe", "dense", "moe", "moe", "moe"});
    std::string json = glm_dsa("");
    json.erase(json.find(R"("first_k_dense_replace": 1,)"), 27);
    ffns.clear();
    for (const auto& layer : import_json(json).layers) ffns.push_back(layer.ffn_name);
    CHECK(ffns == std::vector<std::string>{"dense", "dense", "dense", "moe", "moe", "moe"});
  }
  SUBCASE("a shared first layer has nothing to reuse: a located error") {
    CHECK_THROWS_WITH_AS(import_json(glm_dsa(R"(, "index_topk_pattern": "SFFFFF")")),
                         doctest::Contains("the first DSA layer must run its own indexer"),
                         UserError);
  }
}

TEST_CASE("read_common: KV quantisation the checkpoint declares") {
  // 2 layers × K and V × 2 kv heads × 64 × bytes per element: 512 in fp8, 1,024 in bf16.
  const auto per_token = [](const Architecture& a) {
    return kv_memory(a, {1}, 1).kv_bytes_per_token;
  };
  SUBCASE("compressed-tensors kv_cache_scheme: 8-bit float is fp8") {
    const Architecture result = import_json(qwen("llama", 2, R"(, "quantization_config": {
        "quant_method": "compressed-tensors", "kv_cache_scheme": {"num_bits": 8, "type": "float",
        "strategy": "tensor", "dynamic": false, "symmetric": true}})"));
    CHECK(result.dtypes.kv_cache == DType::fp8);
    CHECK(result.dtypes.weights == DType::bf16);
    CHECK(per_token(result) == 512);
    CHECK(std::find_if(result.source.notes.begin(), result.source.notes.end(), [](const auto& n) {
            return n.starts_with("kv_cache fp8: quantization_config.kv_cache_scheme");
          }) != result.source.notes.end());
  }
  SUBCASE("kv_cache_scheme null: the KV cache keeps torch_dtype") {
    const Architecture result = import_json(qwen("llama", 2, R"(, "quantization_config": {
        "quant_method": "compressed-tensors", "kv_cache_scheme": null})"));
    CHECK(per_token(result) == 1024);
  }
  SUBCASE("8-bit int is int8") {
    const Architecture result = import_json(qwen("llama", 2, R"(, "quantization_config": {
        "kv_cache_scheme": {"num_bits": 8, "type": "int"}})"));
    CHECK(result.dtypes.kv_cache == DType::int8);
  }
  SUBCASE("Quark kv_cache_quant_config: the K and V outputs' dtype") {
    const Architecture result = import_json(qwen("llama", 2, R"(, "quantization_config": {
        "quant_method": "quark", "kv_cache_quant_config": {
          "*k_proj": {"output_tensors": {"dtype": "fp8_e4m3", "qscheme": "per_tensor"}},
          "*v_proj": {"output_tensors": {"dtype": "fp8_e4m3", "qscheme": "per_tensor"}}}})"));
    CHECK(per_token(result) == 512);
  }
  SUBCASE("Quark's empty kv_cache_quant_config: not quantised") {
    const Architecture result = import_json(qwen("llama", 2, R"(, "quantization_config": {
        "quant_method": "quark", "kv_cache_quant_config": {}})"));
    CHECK(per_token(result) == 1024);
  }
  SUBCASE("a scheme attnsim cannot store is an error, not a silent bf16") {
    CHECK(import_error(qwen("llama", 2, R"(, "quantization_config": {
        "kv_cache_scheme": {"num_bits": 4, "type": "float"}})"))
              .find("quantization_config.kv_cache_scheme: expected an 8-bit float, 8-bit int or "
                    "4-bit int KV scheme, found 4-bit float") != std::string::npos);
  }
}

TEST_CASE("read_common: ModelOpt's hf_quant_config.json beside config.json") {
  // 2 layers × K and V × 2 kv heads × 64 × bytes per element: 512 in fp8, 1,024 in bf16.
  auto imported = [](const std::string& quant) {
    testing::ScratchDir dir;
    dir.write("hf_quant_config.json", quant);
    const auto file = dir.write("config.json", qwen("llama", 2, ""));
    return build_architecture(config::parse_document(import::import_hf(file.string()), "imported"),
                              "imported", file.string());
  };
  SUBCASE("kv_cache_quant_algo FP8 is fp8, with a note") {
    const Architecture result = imported(R"({"producer": {"name": "modelopt"},
        "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8"}})");
    CHECK(result.dtypes.kv_cache == DType::fp8);
    CHECK(kv_memory(result, {1}, 1).kv_bytes_per_token == 512);
    CHECK(std::any_of(result.source.notes.begin(), result.source.notes.end(),
                      [](const auto& n) { return n.find("hf_quant_config.json") != n.npos; }));
  }
  SUBCASE("null: the weights are quantised, the KV cache is not") {
    const Architecture result = imported(R"({"producer": {"name": "modelopt"},
        "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": null}})");
    CHECK(kv_memory(result, {1}, 1).kv_bytes_per_token == 1024);
  }
  SUBCASE("NVFP4 KV: not a dtype attnsim models, an error") {
    testing::ScratchDir dir;
    dir.write("hf_quant_config.json", R"({"quantization": {"kv_cache_quant_algo": "NVFP4"}})");
    const auto file = dir.write("config.json", qwen("llama", 2, ""));
    CHECK_THROWS_WITH_AS(import::import_hf(file.string()),
                         doctest::Contains("expected FP8 or INT8"), UserError);
  }
}

TEST_CASE("map_gpt_oss: layer_types, else even layers slide (GptOssConfig)") {
  const std::string base = R"({"model_type": "gpt_oss", "hidden_size": 256, "vocab_size": 1000,
      "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
      "intermediate_size": 128, "num_local_experts": 4, "num_experts_per_tok": 2,
      "torch_dtype": "bfloat16")";
  SUBCASE("absent: (i + 1) % 2 != 0 slides, with the class's window of 128") {
    const std::vector<std::uint64_t> expected = {128, 0, 128, 0};
    CHECK(layer_windows(import_json(base + "}")) == expected);
  }
  SUBCASE("written: as given") {
    const std::vector<std::uint64_t> expected = {0, 0, 64, 64};
    CHECK(layer_windows(import_json(base + R"(, "sliding_window": 64, "layer_types": [
        "full_attention", "full_attention", "sliding_attention", "sliding_attention"]})")) ==
          expected);
  }
}

namespace {
// Each layer as "<layer kind>/<ffn instance>", e.g. "chunked_attn/moe".
std::vector<std::string> layer_plan(const Architecture& architecture) {
  std::vector<std::string> plan;
  for (const auto& layer : architecture.layers)
    plan.push_back((layer.mixer ? layer.mixer->layer_kind() : "-") + "/" + layer.ffn_name);
  return plan;
}

// A Llama 4 config of 8 text layers (chunk 32); `extra` adds text_config keys.
std::string llama4(const std::string& extra) {
  return fmt::format(R"({{"model_type": "llama4", "text_config": {{"model_type": "llama4_text",
      "hidden_size": 256, "vocab_size": 1000, "num_hidden_layers": 8, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 64, "intermediate_size": 128,
      "intermediate_size_mlp": 512, "num_local_experts": 4, "num_experts_per_tok": 1,
      "attention_chunk_size": 32, "torch_dtype": "bfloat16"{}}}, "tie_word_embeddings": false}})",
                     extra);
}
}  // namespace

TEST_CASE("map_llama4: no_rope_layers, layer_types and moe_layers as Llama4TextConfig reads them") {
  SUBCASE("absent: NoPE every 4th layer, MoE every interleave_moe_layer_step-th (default 1)") {
    const std::vector<std::string> expected = {
        "chunked_attn/moe", "chunked_attn/moe", "chunked_attn/moe", "nope_attn/moe",
        "chunked_attn/moe", "chunked_attn/moe", "chunked_attn/moe", "nope_attn/moe"};
    CHECK(layer_plan(import_json(llama4(""))) == expected);
  }
  SUBCASE("intervals: no_rope_layer_interval 2, interleave_moe_layer_step 3 → MoE at 2, 5") {
    const std::vector<std::string> expected = {
        "chunked_attn/dense", "nope_attn/dense", "chunked_attn/moe",   "nope_attn/dense",
        "chunked_attn/dense", "nope_attn/moe",   "chunked_attn/dense", "nope_attn/dense"};
    CHECK(layer_plan(import_json(llama4(
              R"(, "no_rope_layer_interval": 2, "interleave_moe_layer_step": 3)"))) == expected);
  }
  SUBCASE("written: no_rope_layers (0 = NoPE) and moe_layers as given; [] means none") {
    const std::vector<std::string> expected = {
        "nope_attn/moe",      "chunked_attn/dense", "chunked_attn/dense", "chunked_attn/dense",
        "chunked_attn/dense", "chunked_attn/dense", "nope_attn/moe",      "chunked_attn/dense"};
    CHECK(layer_plan(import_json(llama4(R"(, "no_rope_layers": [0, 1, 1, 1, 1, 1, 0, 1],
        "moe_layers": [0, 6], "interleave_moe_layer_step": 2)"))) == expected);
    for (const auto& plan : layer_plan(import_json(llama4(R"(, "moe_layers": [])"))))
      CHECK(plan.ends_with("/dense"));
  }
  SUBCASE("an empty no_rope_layers falls back to the interval, as `if self.no_rope_layers`") {
    CHECK(layer_plan(import_json(llama4(R"(, "no_rope_layers": [])")))[3] == "nope_attn/moe");
  }
  SUBCASE(
      "layer_types decides chunked or full; a short list or an index past the end is an error") {
    const auto plan = layer_plan(import_json(llama4(R"(, "layer_types": ["full_attention",
        "chunked_attention", "chunked_attention", "chunked_attention", "chunked_attention",
        "chunked_attention", "chunked_attention", "chunked_attention"])")));
    CHECK(plan[0] == "nope_attn/moe");
    CHECK(plan[3] == "chunked_attn/moe");
    CHECK(import_error(llama4(R"(, "no_rope_layers": [1, 0])")).find("no_rope_layers") !=
          std::string::npos);
    CHECK(import_error(llama4(R"(, "moe_layers": [8])")).find("moe_layers") != std::string::npos);
  }
}

TEST_CASE("map_qwen3_next: full_attention_interval, default 4 (Qwen3NextConfig)") {
  const std::string base = R"({"model_type": "qwen3_next", "hidden_size": 256, "vocab_size": 1000,
      "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64,
      "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 32,
      "linear_value_head_dim": 32, "linear_conv_kernel_dim": 4, "intermediate_size": 512,
      "tie_word_embeddings": false, "torch_dtype": "bfloat16")";
  auto attention_layers = [](const Architecture& architecture) {
    std::vector<std::size_t> layers;
    for (const auto& layer : architecture.layers)
      if (layer.mixer->kind() == "gated_attn") layers.push_back(layer.index);
    return layers;
  };
  SUBCASE("absent: (i + 1) % 4 == 0 is full attention, a note names the default") {
    const std::string yaml = [&] {
      testing::ScratchDir dir;
      return import::import_hf(dir.write("config.json", base + "}").string());
    }();
    CHECK(yaml.find("full_attention_interval") != std::string::npos);
    CHECK(attention_layers(import_json(base + "}")) == std::vector<std::size_t>{3, 7});
  }
  SUBCASE("written: every 2nd layer") {
    CHECK(attention_layers(import_json(base + R"(, "full_attention_interval": 2})")) ==
          std::vector<std::size_t>{1, 3, 5, 7});
  }
}

TEST_CASE("map_bamba: BambaConfig's defaults, mamba_d_head 'auto', attn_layer_indices") {
  const std::string base = R"({"model_type": "bamba", "hidden_size": 256, "num_hidden_layers": 4,
      "num_attention_heads": 4, "num_key_value_heads": 2, "mamba_n_heads": 8,
      "torch_dtype": "bfloat16")";
  auto yaml_of = [](const std::string& json) {
    testing::ScratchDir dir;
    return import::import_hf(dir.write("config.json", json).string());
  };
  SUBCASE("absent keys take the class's values, each named in the notes") {
    const Architecture result = import_json(base + R"(, "attn_layer_indices": [2]})");
    CHECK(result.dims.vocab_size == 128000);  // BambaConfig vocab_size
    CHECK_FALSE(result.dims.tied_embeddings);
    std::vector<std::string> kinds;
    for (const auto& layer : result.layers) kinds.push_back(std::string(layer.mixer->kind()));
    CHECK(kinds == std::vector<std::string>{"mamba2", "mamba2", "softmax_attn", "mamba2"});
    // d_head auto = mamba_expand 2 × 256 / 8 heads = 64; d_state 256, 1 group, conv 4: the state
    // is 8 × 64 × 256 = 131,072 elements and the conv state 3 × (512 + 2 × 1 × 256) = 3,072,
    // 2 bytes each (bf16) — 268,288 bytes per Mamba layer, 804,864 for three.
    CHECK(kv_memory(result, {1}, 1).rows.front().state_bytes == 3 * (131072 + 3072) * 2);
    const std::string yaml = yaml_of(base + "}");
    CHECK(yaml.find("mamba_d_head 'auto'") != std::string::npos);
    CHECK(yaml.find("vocab_size = 128000: BambaConfig default") != std::string::npos);
  }
  SUBCASE("attn_layer_indices absent: every layer is Mamba") {
    for (const auto& layer : import_json(base + "}").layers) CHECK(layer.mixer->kind() == "mamba2");
  }
  SUBCASE("mamba_n_heads must divide mamba_expand · hidden_size, as BambaConfig checks") {
    CHECK(import_error(base + R"(, "mamba_n_heads": 3})").find("mamba_n_heads") !=
          std::string::npos);
  }
}

TEST_CASE("map_granite_moe_hybrid: layer_types, shared_mlp beside the experts, NoPE") {
  // A 4-layer granitemoehybrid config: D = 256, 4 heads / 2 KV heads of 64, Mamba 8 heads of
  // 64 ('auto': 2 × 256 / 8), N 16, 1 group, conv 4; 4 experts of 32, top 2, shared_mlp 96.
  const std::string base = R"({"model_type": "granitemoehybrid", "hidden_size": 256,
      "vocab_size": 1000, "num_hidden_layers": 4, "num_attention_heads": 4,
      "num_key_value_heads": 2, "mamba_n_heads": 8, "mamba_d_state": 16, "mamba_n_groups": 1,
      "mamba_d_conv": 4, "mamba_expand": 2, "intermediate_size": 32, "num_experts_per_tok": 2, "shared_intermediate_size": 96, "tie_word_embeddings": true, "torch_dtype": "bfloat16")";
  const std::string types = R"(, "layer_types": ["mamba", "attention", "mamba", "mamba"])";
  auto kinds_of = [](const Architecture& architecture) {
    std::vector<std::string> kinds;
    for (const auto& layer : architecture.layers) kinds.push_back(layer.mixer->layer_kind());
    return kinds;
  };
  SUBCASE("layer_types as written; every layer has the MoE with shared_mlp as a shared expert") {
    const Architecture result = import_json(
        base + types + R"(, "num_local_experts": 4, "position_embedding_type": "nope"})");
    CHECK(kinds_of(result) == std::vector<std::string>{"mamba2", "nope_attn", "mamba2", "mamba2"});
    // KV: 1 layer × 2 × 2 KV heads × 64 × 2 bytes = 512 B per token.
    CHECK(kv_memory(result, {1}, 1).kv_bytes_per_token == 512);
    // State per Mamba layer: 8 × 64 × 16 = 8,192 + conv 3 × (512 + 2 × 16) = 1,632 elements,
    // 2 bytes each; three layers.
    CHECK(kv_memory(result, {1}, 1).state_bytes_per_sequence == 3 * (8192 + 1632) * 2);
    // Parameters. Mamba (BambaMixer): in_proj 256 × (2 × 512 + 2 × 16 + 8) = 272,384; conv
    // (512 + 32) × 4 + 544 bias = 2,720; dt_bias, A_log, D 3 × 8 = 24; norm 512; out_proj
    // 512 × 256 = 131,072 → 406,712. Attention: q and o 2 × 256², k and v 2 × 256 × 128 →
    // 196,608. FFN per layer: experts 4 × 3 × 256 × 32 = 98,304; router 4 × 256 = 1,024;
    // shared_mlp 3 × 256 × 96 = 73,728 → 173,056. Norms 2 × 256 per layer; tied table
    // 1,000 × 256 = 256,000; final norm 256.
    const std::uint64_t expected =
        3ULL * 406'712 + 196'608 + 4ULL * (173'056 + 512) + 256'000 + 256;
    CHECK(model_params(result).total == expected);
  }
  SUBCASE("layers_block_type (the attribute-map spelling) and no layer_types at all") {
    CHECK(kinds_of(import_json(
              base + R"(, "layers_block_type": ["attention", "mamba", "mamba", "attention"]})")) ==
          std::vector<std::string>{"nope_attn", "mamba2", "mamba2", "nope_attn"});
    for (const auto& kind : kinds_of(import_json(base + "}"))) CHECK(kind == "mamba2");
  }
  SUBCASE("no experts: the dense FFN is shared_mlp, of shared_intermediate_size (NoPE: no key)") {
    const Architecture result = import_json(base + types + R"(, "num_local_experts": 0})");
    // FFN per layer: 3 × 256 × 96 = 73,728 (intermediate_size 32 is not used).
    const std::uint64_t expected = 3ULL * 406'712 + 196'608 + 4ULL * (73'728 + 512) + 256'000 + 256;
    CHECK(model_params(result).total == expected);
  }
  SUBCASE("position_embedding_type rope: RoPE attention") {
    const Architecture result =
        import_json(base + types + R"(, "position_embedding_type": "rope"})");
    CHECK(kinds_of(result)[1] == "full_attn");
  }
  SUBCASE("a layer type other than mamba or attention is named") {
    CHECK(import_error(base + R"(, "layer_types": ["mamba", "mlp", "mamba", "mamba"]})")
              .find("layer_types[1]") != std::string::npos);
  }
}

TEST_CASE("map_nemotron_h: layer_types over hybrid_override_pattern (NemotronHConfig)") {
  const std::string base = R"({"model_type": "nemotron_h", "hidden_size": 256, "vocab_size": 1000,
      "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "mamba_num_heads": 8,
      "mamba_head_dim": 32, "ssm_state_size": 16, "n_groups": 2, "conv_kernel": 4,
      "mlp_hidden_act": "relu2", "intermediate_size": 512, "n_routed_experts": 4,
      "num_experts_per_tok": 2, "moe_intermediate_size": 64, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16")";
  auto plan = [](const Architecture& architecture) {
    std::string letters;
    for (const auto& layer : architecture.layers)
      letters += !layer.mixer                      ? (layer.ffn_name == "moe" ? 'E' : '-')
                 : layer.mixer->kind() == "mamba2" ? 'M'
                                                   : '*';
    return letters;
  };
  SUBCASE("layer_types (new names and legacy ones), which wins over the pattern string") {
    CHECK(plan(import_json(base + R"(, "num_hidden_layers": 5, "hybrid_override_pattern": "MMMMM",
        "layer_types": ["linear_attention", "moe", "full_attention", "mlp", "mamba"]})")) ==
          "ME*-M");
  }
  SUBCASE("hybrid_override_pattern when layer_types is absent") {
    CHECK(plan(import_json(
              base + R"(, "num_hidden_layers": 3, "hybrid_override_pattern": "M*-"})")) == "M*-");
  }
  SUBCASE("neither: the class's four layers; the list's length is the layer count") {
    CHECK(plan(import_json(base + R"(, "num_hidden_layers": 9})")) == "ME*-");
  }
  SUBCASE("an unknown layer type is an error") {
    CHECK(import_error(base + R"(, "num_hidden_layers": 1, "layer_types": ["ssm"]})")
              .find("layer_types[0]") != std::string::npos);
  }
}

TEST_CASE("read_common: sizes are bounded before anything is allocated") {
  const std::string message = import_error(qwen("llama", 1'000'000'000'000, ""));
  CHECK(message.find("num_hidden_layers: expected at most 100000 layers, found 1000000000000") !=
        std::string::npos);
  CHECK(message.find("config.json:2:") != std::string::npos);
}

TEST_CASE("a Hugging Face snapshot folder is accepted wherever a config.json is") {
  testing::ScratchDir dir;
  const auto folder = dir.path() / "Tiny-Qwen";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "config.json") << qwen("llama", 2, "");
  std::ofstream(folder / "hf_quant_config.json")
      << R"({"quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8"}})";
  SUBCASE("import-hf FOLDER: its config.json and the quantisation file beside it") {
    const std::string from_folder = import::import_hf(folder.string());
    CHECK(from_folder == import::import_hf((folder / "config.json").string()));
    // named after the folder, not "config"
    CHECK(from_folder.find("display_name: \"Tiny-Qwen\"") != std::string::npos);
    CHECK(from_folder.find("kv_cache: fp8") != std::string::npos);
  }
  SUBCASE("a command takes the folder as an architecture") {
    const auto result = testing::run({"kv", folder.string(), "-c", "1", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    // 2 layers × K and V × 2 kv heads × 64 × 1 byte (fp8)
    CHECK(result.out.find("\"kv_bytes_per_token\": 512") != std::string::npos);
    CHECK(result.out.find("\"name\": \"Tiny-Qwen\"") != std::string::npos);
  }
  SUBCASE("a folder without a config.json: a located error") {
    std::filesystem::create_directories(dir.path() / "empty");
    const auto result = testing::run({"kv", (dir.path() / "empty").string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("snapshot folder with a config.json") != std::string::npos);
  }
}

namespace {
std::vector<std::string> mixer_kinds(const Architecture& architecture) {
  std::vector<std::string> kinds;
  for (const auto& layer : architecture.layers) kinds.push_back(std::string(layer.mixer->kind()));
  return kinds;
}

std::vector<std::string> ffn_names(const Architecture& architecture) {
  std::vector<std::string> names;
  for (const auto& layer : architecture.layers) names.push_back(layer.ffn_name);
  return names;
}

std::string imported_yaml(const std::string& json) {
  testing::ScratchDir dir;
  return import::import_hf(dir.write("config.json", json).string());
}
}  // namespace

TEST_CASE("map_kimi_linear: KimiLinearConfig's defaults, linear_attn_config and layer types") {
  // Only the model dimensions the test needs: everything else is KimiLinearConfig's (@630ebd85).
  const std::string base = R"({"model_type": "kimi_linear", "hidden_size": 256,
      "num_hidden_layers": 9, "torch_dtype": "bfloat16")";
  SUBCASE("absent keys: the class's values, each named in the notes") {
    const Architecture result = import_json(base + "}");
    // Layer types: full attention at i > 0 with i % 4 == 0, so layers 4 and 8 are MLA.
    std::vector<std::string> expected(9, "kda");
    expected[4] = expected[8] = "mla";
    CHECK(mixer_kinds(result) == expected);
    CHECK(result.dims.vocab_size == 163840);
    CHECK_FALSE(result.dims.tied_embeddings);
    // MLA keeps kv_lora_rank 512 + qk_rope_head_dim 64 = 576 elements, 1,152 bf16 bytes per
    // token per layer: 2 layers, 2,304 bytes per token.
    CHECK(kv_bytes_at(result, 1) == 2304);
    // KDA (linear_num_heads 32, linear_head_dim 128, conv 4): 32 · 128 · 128 = 524,288 state
    // elements + 3 · (2 · 32 · 128 + 32 · 128) = 36,864 conv elements, 2 bytes each:
    // 1,122,304 bytes per layer, 7 layers 7,856,128.
    CHECK(kv_memory(result, {1}, 1).rows.front().state_bytes == 7'856'128);
    // first_k_dense_replace (kwargs fallback 1): layer 0 dense, the others MoE of 256 experts
    // of 1,024, top 8, one shared expert.
    std::vector<std::string> ffns(9, "moe");
    ffns[0] = "dense";
    CHECK(ffn_names(result) == ffns);
    const FfnSpec& moe = *result.ffns.at("moe");
    CHECK(moe.n_experts == 256);
    CHECK(moe.expert_width == 1024);
    CHECK(moe.top_k == 8);
    CHECK(moe.n_shared_experts == 1);
    CHECK(result.ffns.at("dense")->d_ff == 9216);
    const std::string yaml = imported_yaml(base + "}");
    CHECK(yaml.find("linear_num_heads = 32: KimiLinearConfig default") != std::string::npos);
    CHECK(yaml.find("n_routed_experts = 256: KimiLinearConfig default") != std::string::npos);
  }
  SUBCASE("linear_attn_config wins over the top-level fields") {
    // head_dim 64 from linear_attn_config, heads 2 from linear_num_heads, conv 4 by default:
    // 2 · 64 · 64 + 3 · (2 · 2 · 64 + 2 · 64) = 8,192 + 1,152 = 9,344 elements, 18,688 bytes.
    const Architecture result =
        import_json(base + R"(, "linear_num_heads": 2, "linear_head_dim": 16,
        "linear_attn_config": {"head_dim": 64}})");
    CHECK(kv_memory(result, {1}, 1).rows.front().state_bytes == 7 * 18'688);
  }
  SUBCASE("full_attn_layers with kda_layers (1-based) give the layer types") {
    const Architecture result = import_json(base + R"(, "linear_attn_config": {
        "full_attn_layers": [1, 9], "kda_layers": [2, 3, 4, 5, 6, 7, 8]}})");
    std::vector<std::string> expected(9, "kda");
    expected[0] = expected[8] = "mla";
    CHECK(mixer_kinds(result) == expected);
  }
  SUBCASE("full_attn_layers without kda_layers is ignored, as the class ignores it") {
    const Architecture result =
        import_json(base + R"(, "linear_attn_config": {"full_attn_layers": [1]}})");
    std::vector<std::string> expected(9, "kda");
    expected[4] = expected[8] = "mla";
    CHECK(mixer_kinds(result) == expected);
  }
  SUBCASE("layer_types wins over the lists") {
    const Architecture result = import_json(base + R"(, "linear_attn_config": {
        "full_attn_layers": [1], "kda_layers": [2, 3, 4, 5, 6, 7, 8, 9]}, "layer_types": [
        "linear_attention", "full_attention", "linear_attention", "linear_attention",
        "linear_attention", "linear_attention", "linear_attention", "linear_attention",
        "linear_attention"]})");
    std::vector<std::string> expected(9, "kda");
    expected[1] = "mla";
    CHECK(mixer_kinds(result) == expected);
  }
  SUBCASE("a layer in neither list is a located error") {
    CHECK(import_error(base + R"(, "linear_attn_config": {"full_attn_layers": [1],
        "kda_layers": [2, 3]}})")
              .find("layer 4 in neither") != std::string::npos);
  }
  SUBCASE("the checkpoint's spellings: num_experts, num_shared_experts, num_experts_per_token") {
    const Architecture result = import_json(base + R"(, "num_experts": 16,
        "num_shared_experts": 2, "num_experts_per_token": 4, "mlp_layer_types": ["sparse",
        "sparse", "sparse", "sparse", "sparse", "sparse", "sparse", "sparse", "dense"]})");
    const FfnSpec& moe = *result.ffns.at("moe");
    CHECK(moe.n_experts == 16);
    CHECK(moe.n_shared_experts == 2);
    CHECK(moe.top_k == 4);
    std::vector<std::string> ffns(9, "moe");
    ffns[8] = "dense";
    CHECK(ffn_names(result) == ffns);
  }
}

TEST_CASE("map_minimax: MiniMaxConfig's layer types and defaults; MiniMax-M1's attn_type_list") {
  const std::string base = R"({"model_type": "minimax", "hidden_size": 512,
      "num_hidden_layers": 4, "torch_dtype": "bfloat16")";
  SUBCASE("absent keys: full attention at even indices, the class's heads and experts") {
    const Architecture result = import_json(base + "}");
    CHECK(mixer_kinds(result) ==
          std::vector<std::string>{"softmax_attn", "lightning", "softmax_attn", "lightning"});
    CHECK(result.dims.vocab_size == 32000);
    // 32 heads, 8 KV heads, head_dim = 512 / 32 = 16: K and V 2 · 8 · 16 · 2 bytes = 512 per
    // token per softmax layer, 1,024 for two.
    CHECK(kv_bytes_at(result, 1) == 1024);
    // Lightning state 32 heads · 16 · 16 = 8,192 elements, 16,384 bf16 bytes per layer.
    CHECK(kv_memory(result, {1}, 1).rows.front().state_bytes == 2 * 16'384);
    const FfnSpec& moe = *result.ffns.at("moe");
    CHECK(moe.n_experts == 8);
    CHECK(moe.top_k == 2);
    CHECK(moe.expert_width == 14336);
    CHECK(moe.n_shared_experts == 0);
    CHECK(imported_yaml(base + "}").find("num_local_experts = 8: MiniMaxConfig default") !=
          std::string::npos);
  }
  SUBCASE("layer_types as written; sliding_window windows the softmax layers") {
    const Architecture result = import_json(base + R"(, "sliding_window": 64, "layer_types": [
        "linear_attention", "linear_attention", "linear_attention", "full_attention"]})");
    CHECK(mixer_kinds(result) ==
          std::vector<std::string>{"lightning", "lightning", "lightning", "softmax_attn"});
    CHECK(layer_windows(result) == std::vector<std::uint64_t>{0, 0, 0, 64});
  }
  SUBCASE("minimax_m1: attn_type_list, 1 softmax and 0 lightning") {
    const std::string m1 = R"({"model_type": "minimax_m1", "hidden_size": 512,
        "num_hidden_layers": 4, "head_dim": 64, "torch_dtype": "bfloat16",
        "attn_type_list": [0, 0, 0, 1]})";
    const Architecture result = import_json(m1);
    CHECK(mixer_kinds(result) ==
          std::vector<std::string>{"lightning", "lightning", "lightning", "softmax_attn"});
    // One softmax layer: 2 · 8 · 64 · 2 bytes = 2,048 per token.
    CHECK(kv_bytes_at(result, 1) == 2048);
  }
  SUBCASE("minimax_m1 without attn_type_list: its modeling code needs it, an error") {
    CHECK(import_error(R"({"model_type": "minimax_m1", "hidden_size": 512,
        "num_hidden_layers": 4, "torch_dtype": "bfloat16"})")
              .find("attn_type_list") != std::string::npos);
  }
}

TEST_CASE("map_llama_like: Glm4MoeConfig's defaults") {
  const std::string base = R"({"model_type": "glm4_moe", "hidden_size": 256,
      "num_hidden_layers": 3, "num_attention_heads": 16, "head_dim": 64, "torch_dtype": "bfloat16")";
  const Architecture result = import_json(base + "}");
  // first_k_dense_replace 1: layer 0 dense (10,944), then MoE of 128 experts of 1,408, top 8,
  // one shared expert of 1,408.
  CHECK(ffn_names(result) == std::vector<std::string>{"dense", "moe", "moe"});
  const FfnSpec& moe = *result.ffns.at("moe");
  CHECK(moe.n_experts == 128);
  CHECK(moe.expert_width == 1408);
  CHECK(moe.top_k == 8);
  CHECK(moe.n_shared_experts == 1);
  CHECK(moe.shared_expert_width == 1408);
  CHECK(result.ffns.at("dense")->d_ff == 10944);
  CHECK(result.dims.vocab_size == 151552);
  CHECK_FALSE(result.dims.tied_embeddings);
  // num_key_value_heads 8, head_dim 64: 3 layers · 2 · 8 · 64 · 2 bytes = 6,144 per token.
  CHECK(kv_bytes_at(result, 1) == 6144);
  // num_mtp_layers (num_nextn_predict_layers) 1: one MTP module.
  REQUIRE(result.mtp);
  CHECK(result.mtp->modules == 1);
  CHECK(imported_yaml(base + "}").find("n_routed_experts = 128: Glm4MoeConfig default") !=
        std::string::npos);
}

}  // namespace attnsim
