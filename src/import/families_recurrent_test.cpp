// Tests of the LFM2 and RecurrentGemma importers: the released configs (as copied verbatim in
// public repositories, cited in the architecture files) import to the shipped files' layer
// graphs; the LFM2 FFN width rule and its variants.
#include <doctest/doctest.h>

#include "config/document.h"
#include "graph/compare.h"
#include "graph/load.h"
#include "import/importer.h"
#include "tests/support.h"

namespace attnsim {
namespace {

// LiquidAI/LFM2-1.2B config.json (keys the importer reads), as cited in
// architectures/lfm2-1.2b.yaml.
const char* kLfm2 = R"({"architectures": ["Lfm2ForCausalLM"], "model_type": "lfm2",
  "block_auto_adjust_ff_dim": true, "block_dim": 2048, "block_ff_dim": 12288,
  "block_ffn_dim_multiplier": 1.0, "block_multiple_of": 256, "conv_L_cache": 3,
  "conv_bias": false, "conv_dim": 2048, "intermediate_size": 8192,
  "full_attn_idxs": [2, 5, 8, 10, 12, 14], "hidden_size": 2048,
  "max_position_embeddings": 128000, "num_attention_heads": 32, "num_hidden_layers": 16,
  "num_key_value_heads": 8, "rope_theta": 1000000.0, "tie_embedding": true,
  "vocab_size": 65536})";

// LFM2.5-2.6B config.json, as cited in architectures/lfm2.5-2.6b.yaml.
const char* kLfm25 = R"({"architectures": ["Lfm2ForCausalLM"], "model_type": "lfm2",
  "hidden_size": 2048, "intermediate_size": 10752, "num_hidden_layers": 30,
  "num_attention_heads": 32, "num_key_value_heads": 8, "conv_L_cache": 3, "conv_bias": false,
  "block_auto_adjust_ff_dim": false, "norm_eps": 1e-5, "max_position_embeddings": 131072,
  "vocab_size": 128000, "tie_word_embeddings": true,
  "layer_types": ["conv", "conv", "full_attention", "conv", "conv", "full_attention", "conv",
    "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv",
    "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv",
    "full_attention", "conv", "conv", "full_attention", "conv", "conv"]})";

// google/recurrentgemma-2b config.json, as cited in architectures/recurrentgemma-2b.yaml.
const char* kRecurrentGemma = R"({"_block_types": ["recurrent", "recurrent", "attention"],
  "architectures": ["RecurrentGemmaForCausalLM"], "attention_bias": false,
  "attention_window_size": 2048, "conv1d_width": 4, "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2560, "intermediate_size": 15360,
  "lru_width": 2560, "model_type": "recurrent_gemma", "num_attention_heads": 10,
  "num_hidden_layers": 26, "num_key_value_heads": 1, "vocab_size": 256000})";

Architecture import_text(const testing::ScratchDir& dir, const std::string& json) {
  const std::string path = dir.write("config.json", json).string();
  return build_architecture(config::parse_document(import::import_hf(path), path), "imported",
                            path);
}

TEST_CASE("import_hf: lfm2, recurrent_gemma") {
  testing::ScratchDir dir;
  SUBCASE("LFM2-1.2B imports to architectures/lfm2-1.2b.yaml") {
    const auto differences = compare_graphs(
        load_architecture_file(resolve_architecture("lfm2-1.2b")), import_text(dir, kLfm2));
    for (const auto& difference : differences)
      FAIL_CHECK(format_difference(difference, "architecture", "config.json"));
  }
  SUBCASE("LFM2.5-2.6B imports to architectures/lfm2.5-2.6b.yaml") {
    const auto differences = compare_graphs(
        load_architecture_file(resolve_architecture("lfm2.5-2.6b")), import_text(dir, kLfm25));
    for (const auto& difference : differences)
      FAIL_CHECK(format_difference(difference, "architecture", "config.json"));
  }
  SUBCASE("RecurrentGemma-2B imports to architectures/recurrentgemma-2b.yaml") {
    const auto differences =
        compare_graphs(load_architecture_file(resolve_architecture("recurrentgemma-2b")),
                       import_text(dir, kRecurrentGemma));
    for (const auto& difference : differences)
      FAIL_CHECK(format_difference(difference, "architecture", "config.json"));
  }
  SUBCASE("LFM2 FFN width: 2/3, multiplier, round up; intermediate_size without block_ff_dim") {
    // 2 · 1000 / 3 = 666 → × 1.5 = 999 → up to a multiple of 64: 1024.
    const Architecture a =
        import_text(dir, R"({"model_type": "lfm2", "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "intermediate_size": 1000,
                 "block_ffn_dim_multiplier": 1.5, "block_multiple_of": 64,
                 "layer_types": ["conv", "full_attention"], "torch_dtype": "bfloat16"})");
    CHECK(a.layers[0].mixer->kind() == "short_conv");
    CHECK(a.layers[1].mixer->kind() == "softmax_attn");
    CHECK(a.ffns.at("mlp")->d_ff == 1024);
    CHECK(a.dims.tied_embeddings);  // Lfm2Config default
    // Without the adjustment the width is taken as given.
    const Architecture b =
        import_text(dir, R"({"model_type": "lfm2", "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 100, "block_ff_dim": 1000,
                 "block_auto_adjust_ff_dim": false, "full_attn_idxs": [0],
                 "torch_dtype": "bfloat16"})");
    CHECK(b.ffns.at("mlp")->d_ff == 1000);
    CHECK(b.layers[0].mixer->kind() == "softmax_attn");
  }
}

}  // namespace
}  // namespace attnsim
