// Granite 4.0-H Small (architectures/granite-4.0-h-small.yaml): KV, state and parameters against
// hand arithmetic from the quoted config and GraniteMoeHybrid's layer layout, and the same graph
// from import-hf of those config values.
#include <doctest/doctest.h>

#include <string>

#include "config/document.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "import/importer.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("granite-4.0-h-small: KV, state and parameters by hand") {
  const Architecture arch = load_architecture("granite-4.0-h-small");
  // D = 4,096; Mamba-2 d_inner 8,192 = 128 heads × 64, N 128, G 1, conv 4; 4 NoPE GQA layers of
  // 32 / 8 heads × 128; every layer: 72 experts × 768 (top 10), shared_mlp 1,536; vocab 100,352.
  SUBCASE("cache") {
    const MemoryReport report = kv_memory(arch, {131072}, 1);
    // 4 layers × (K + V) 2 × 8 × 128 × 2 bytes.
    CHECK(report.kv_bytes_per_token == 4 * 2 * 8 * 128 * 2);
    CHECK(report.rows[0].kv_bytes == 16'384ULL * 131'072);
    // 36 Mamba layers × (ssm 8,192 × 128 + conv 3 × (8,192 + 2 × 128)) × 2 bytes (bf16).
    CHECK(report.state_bytes_per_sequence == 36ULL * (8'192 * 128 + 3 * 8'448) * 2);
    CHECK(report.state_bytes_per_sequence == 77'322'240);
  }
  SUBCASE("parameters") {
    // Mamba (BambaMixer): in_proj 4,096 × (2 × 8,192 + 2 × 128 + 128) = 68,681,728; conv
    // 8,448 × 4 + 8,448 = 42,240; dt_bias, A_log, D 3 × 128 = 384; gated norm 8,192; out_proj
    // 8,192 × 4,096 = 33,554,432 → 102,286,976. Attention: q and o 2 × 4,096², k and v
    // 2 × 4,096 × 1,024 → 41,943,040. FFN: experts 72 × 3 × 4,096 × 768 = 679,477,248; router
    // 72 × 4,096 = 294,912; shared_mlp 3 × 4,096 × 1,536 = 18,874,368 → 698,646,528. Two norms
    // 8,192 per layer; tied table 100,352 × 4,096 = 411,041,792; final norm 4,096.
    const ParamReport report = model_params(arch);
    CHECK(report.total == 36ULL * 102'286'976 + 4ULL * 41'943'040 + 40ULL * (698'646'528 + 8'192) +
                              411'041'792ULL + 4'096);
    CHECK(report.total == 32'207'337'984ULL);
    // Active: 10 of 72 experts, 10 × 3 × 4,096 × 768 = 94,371,840, instead of all of them; the
    // lm head (the tied table) counted once, as a matmul.
    CHECK(report.active == 36ULL * 102'286'976 + 4ULL * 41'943'040 +
                               40ULL * (94'371'840 + 294'912 + 18'874'368 + 8'192) +
                               411'041'792ULL + 4'096);
  }
}

TEST_CASE("granite-4.0-h-small: import-hf of the quoted config values gives the shipped graph") {
  // The fields the stored third-party document quotes from ibm-granite/granite-4.0-h-small's
  // config.json, with the file's choices for what it does not quote (layer_types positions,
  // mamba_n_heads 128 = the class default, position_embedding_type nope): see the YAML's notes.
  testing::ScratchDir dir;
  std::string types;
  for (int i = 0; i < 40; ++i)
    types += std::string(i ? ", " : "") +
             (i == 5 || i == 15 || i == 25 || i == 35 ? "\"attention\"" : "\"mamba\"");
  const auto file = dir.write("config.json", R"({"model_type": "granitemoehybrid",
      "hidden_size": 4096, "num_hidden_layers": 40, "num_attention_heads": 32,
      "num_key_value_heads": 8, "num_local_experts": 72, "num_experts_per_tok": 10,
      "shared_intermediate_size": 1536, "intermediate_size": 768, "mamba_d_state": 128,
      "mamba_d_conv": 4, "mamba_expand": 2, "tie_word_embeddings": true, "vocab_size": 100352,
      "torch_dtype": "bfloat16", "position_embedding_type": "nope", "layer_types": [)" +
                                                 types + "]}");
  const Architecture imported =
      build_architecture(config::parse_document(import::import_hf(file.string()), "imported"),
                         "imported", file.string());
  const Architecture shipped = load_architecture("granite-4.0-h-small");
  REQUIRE(imported.layers.size() == shipped.layers.size());
  for (std::size_t i = 0; i < shipped.layers.size(); ++i)
    CHECK(imported.layers[i].mixer->layer_kind() == shipped.layers[i].mixer->layer_kind());
  CHECK(model_params(imported).total == model_params(shipped).total);
  CHECK(kv_memory(imported, {1}, 1).state_bytes_per_sequence ==
        kv_memory(shipped, {1}, 1).state_bytes_per_sequence);
}

}  // namespace attnsim
