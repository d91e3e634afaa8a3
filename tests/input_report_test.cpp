// Issue 13's first-hour checks on input handling: every mistake of a file in one run, the
// registry's bookkeeping keys optional elsewhere, spans checked against max_context, fp4 KV
// dtypes and per-layer bytes in `layers --full`. Expected bytes are worked out by hand here.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::run;
using testing::ScratchDir;

namespace {
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A file with five independent mistakes, one per section (line numbers as written).
const std::string kFiveMistakes = R"(display_name: Five mistakes
family: Test
params_label: 1B
source: {references: [hand-written test model]}
model:
  d_model: 512
  vocab_sise: 1000
  n_layers: 2
  tied_embeddings: false
dtypes:
  weights: bf17
  kv_cache: bf16
mixers:
  attn: {kind: softmax_attn, n_heads: 8, n_kv_head: 2, head_dim: 64, windw: 128}
ffns:
  mlp: {kind: dense, activation: swiglu, d_ff: 0}
layers:
  mixer: attn
  ffn: mlp
)";
}  // namespace

TEST_CASE("build_architecture: every mistake of a file in one report") {
  ScratchDir dir;
  const auto file = dir.write("five.yaml", kFiveMistakes);
  SUBCASE("the library throws one UserErrors holding each mistake, located") {
    try {
      load_architecture_file(file);
      FAIL("expected the file to be rejected");
    } catch (const UserErrors& errors) {
      REQUIRE(errors.errors().size() == 5);
      const auto& first = errors.errors().front();
      CHECK(first.key_path() == "model.vocab_size");  // the first section read
      CHECK(first.found() == "no such key");
      CHECK(contains(first.hint(), "unknown key 'vocab_sise'"));
      CHECK(errors.key_path() == "model.vocab_size");  // the base class describes the first
      CHECK(errors.errors()[1].key_path() == "dtypes.weights");
      CHECK(errors.errors()[1].where().line == 11);
      CHECK(errors.errors()[2].key_path() == "mixers.attn.n_kv_heads");
      CHECK(errors.errors()[3].key_path() == "mixers.attn.windw");
      CHECK(errors.errors()[3].where().line == 14);
      CHECK(errors.errors()[4].key_path() == "ffns.mlp.d_ff");
    }
  }
  SUBCASE("validate prints all five, each with file:line:col, key, expected, found, hint") {
    const auto result = run({"validate", file.string()});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "attnsim: error: 5 mistakes:\n"));
    CHECK(contains(result.err,
                   "five.yaml:6:3: model.vocab_size: expected a positive whole number, found no "
                   "such key (this map has an unknown key 'vocab_sise' at "));
    CHECK(contains(result.err,
                   "five.yaml:11:12: dtypes.weights: expected a dtype, found 'bf17' (did "
                   "you mean bf16?)"));
    CHECK(contains(result.err, "did you mean n_kv_heads?"));
    CHECK(contains(result.err,
                   "five.yaml:14:70: mixers.attn.windw: expected a known key, found an "
                   "unknown key (did you mean window?)"));
    CHECK(contains(result.err, "ffns.mlp.d_ff: expected a positive whole number, found '0'"));
    // The misspelt key is named once, beside the missing one, not again as an unknown key.
    CHECK(!contains(result.err, "model.vocab_sise: expected a known key"));
  }
  SUBCASE("validate goes on to the next file and reports both") {
    const auto good = dir.write(
        "good.yaml", architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, "
                                       "head_dim: 64}",
                                       "  mixer: attn", 2));
    const auto broken = dir.write(
        "broken.yaml", architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, head_dim: 64}",
                                         "  mixer: attn", 2));
    const auto result = run({"validate", file.string(), good.string(), broken.string()});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.out, "ok  "));
    CHECK(contains(result.err, "6 mistakes:"));
    CHECK(contains(result.err,
                   "mixers.attn.n_kv_heads: expected a positive whole number, found "
                   "no such key (add 'n_kv_heads:' to this map)"));
  }
  SUBCASE("a layer graph that cannot be built is not reported twice") {
    // mixers fail, so the layers are not expanded: only the mixer's own mistake is reported.
    const auto result = run(
        {"validate",
         dir.write("one.yaml", architecture_yaml("  attn: {kind: softmax_atn}", "  mixer: attn", 2))
             .string()});
    CHECK(result.exit_code == 2);
    CHECK(!contains(result.err, "mistakes:"));
    CHECK(contains(result.err, "mixers.attn.kind: expected a mixer kind, found 'softmax_atn'"));
  }
}

TEST_CASE("build_architecture: bookkeeping keys optional outside architectures/") {
  const std::string body =
      R"(model: {d_model: 512, vocab_size: 1000, n_layers: 2, tied_embeddings: false}
dtypes: {weights: bf16, kv_cache: bf16}
mixers:
  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}
layers: {mixer: attn}
)";
  ScratchDir dir;
  SUBCASE("a user's file loads, named after itself, with one warning naming what is missing") {
    const Architecture architecture = load_architecture_file(dir.write("what-if.yaml", body));
    CHECK(architecture.display_name == "what-if");
    CHECK(architecture.family == "what-if");
    CHECK(architecture.params_label.empty());
    REQUIRE(architecture.warnings.size() == 1);
    CHECK(contains(architecture.warnings[0],
                   "no display_name ('what-if'), family ('what-if'), params_label (''), source (no "
                   "config: or references:): the registry's bookkeeping keys, optional outside "
                   "architectures/"));
    // 2 layers × 2 (K and V) × 2 kv heads × 64 × 2 bytes = 1024 bytes per token.
    const auto result =
        run({"kv", (dir.path() / "what-if.yaml").string(), "--context", "1k", "--format", "json"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, "attnsim: warning: "));
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] == 1024);
  }
  SUBCASE("the same file inside the registry must give them, each reported") {
    const config::Node document = config::parse_document(body, "registry.yaml");
    const std::string inside = (architectures_dir() / "registry-test.yaml").string();
    try {
      build_architecture(document, "registry-test", inside);
      FAIL("expected the bookkeeping keys to be required in the registry");
    } catch (const UserErrors& errors) {
      REQUIRE(errors.errors().size() == 4);
      CHECK(errors.errors()[0].key_path() == "display_name");
      CHECK(errors.errors()[1].key_path() == "family");
      CHECK(errors.errors()[2].key_path() == "params_label");
      CHECK(errors.errors()[3].key_path() == "source");
    }
  }
  SUBCASE("a source without config: or references: is part of the warning outside") {
    const Architecture architecture =
        load_architecture_file(dir.write("noted.yaml",
                                         "display_name: N\nfamily: F\nparams_label: 1B\n"
                                         "source: {notes: [a what-if]}\n" +
                                             body));
    REQUIRE(architecture.warnings.size() == 1);
    CHECK(contains(architecture.warnings[0], "no source (no config: or references:)"));
  }
}

TEST_CASE("build_architecture: a window longer than max_context") {
  const auto yaml = [](const std::string& window) {
    return architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: "
        "64, window: " +
            window + "}",
        "  mixer: attn", 2);
  };
  const auto with_max = [&](const std::string& window) {
    std::string text = yaml(window);
    const std::string anchor = "  tied_embeddings: false\n";
    text.insert(text.find(anchor) + anchor.size(), "  max_context: 8192\n");
    return text;
  };
  ScratchDir dir;
  SUBCASE("a user's file: a warning naming the window, max_context and what it means") {
    const auto result = run({"validate", dir.write("w.yaml", with_max("1000000")).string()});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err,
                   "mixers.attn: a window of 1000000 tokens (k+v) is longer than "
                   "model.max_context 8192; the layer would keep every token, as full attention"));
  }
  SUBCASE("a window within max_context, or no max_context: nothing to say") {
    CHECK(run({"validate", dir.write("a.yaml", with_max("8192")).string()}).err.empty());
    CHECK(run({"validate", dir.write("b.yaml", yaml("1000000")).string()}).err.empty());
  }
  SUBCASE("in the registry it is an error") {
    const std::string inside = (architectures_dir() / "window-test.yaml").string();
    CHECK_THROWS_WITH_AS(
        build_architecture(config::parse_document(with_max("1000000"), inside), "window-test",
                           inside),
        doctest::Contains("mixers.attn: expected a window of at most max_context (8192), found a "
                          "window of 1000000 tokens (k+v)"),
        UserError);
  }
}

TEST_CASE("kv --kv-dtype nvfp4 / mxfp4: 4-bit values and their block scales") {
  // Llama 3 8B: 32 layers, each 2 (K, V) × 8 kv heads × 128 = 2048 values per token.
  //   nvfp4: 2048 / 2 = 1024 value bytes + 2048 / 16 = 128 E4M3 scales = 1152 per layer,
  //          × 32 layers = 36,864 bytes per token;
  //   mxfp4: 1024 + 2048 / 32 = 64 E8M0 scales = 1088 per layer, × 32 = 34,816.
  //   bf16 for comparison: 2048 × 2 × 32 = 131,072.
  const auto bytes_per_token = [](const std::string& dtype) {
    const auto result =
        run({"kv", "llama-3-8b", "--kv-dtype", dtype, "--context", "128k", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.out)["architectures"][0];
  };
  const auto nvfp4 = bytes_per_token("nvfp4");
  CHECK(nvfp4["kv_bytes_per_token"] == 36864);
  CHECK(nvfp4["dtypes"]["kv_cache"] == "nvfp4");
  CHECK(nvfp4["rows"][0]["kv_bytes"] == 36864ULL * 131072);  // 4,831,838,208
  CHECK(bytes_per_token("MXFP4")["kv_bytes_per_token"] == 34816);
  CHECK(bytes_per_token("bf16")["kv_bytes_per_token"] == 131072);
  SUBCASE("fp4 alone is ambiguous: both are suggested") {
    const auto result = run({"kv", "llama-3-8b", "--kv-dtype", "fp4"});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "did you mean one of nvfp4, mxfp4?"));
  }
  SUBCASE("a file's dtypes.kv_cache may be nvfp4 or mxfp4") {
    std::string yaml =
        architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}",
                          "  mixer: attn", 2);
    yaml.replace(yaml.find("kv_cache: bf16"), 14, "kv_cache: mxfp4");
    ScratchDir dir;
    // Per layer 2 × 2 kv heads × 64 = 256 values: 128 bytes + 256 / 32 = 8 scales = 136;
    // 2 layers: 272 bytes per token.
    const auto result =
        run({"kv", dir.write("fp4.yaml", yaml).string(), "--context", "1k", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] == 272);
  }
}

TEST_CASE("layers --full: KV bytes per token, tokens kept and state bytes of every layer") {
  SUBCASE("Gemma 3 27B: five sliding layers (window 1024), then a global one") {
    // Each layer: 2 × 16 kv heads × 128 × 2 bytes = 8192 bytes per token.
    const auto result = run({"layers", "gemma-3-27b", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto layers = nlohmann::json::parse(result.out)["architectures"][0]["layers"];
    REQUIRE(layers.size() == 62);
    CHECK(layers[0]["kv_bytes_per_token"] == 8192);
    CHECK(layers[0]["kv_max_tokens"] == 1024);
    CHECK(layers[5]["kv_bytes_per_token"] == 8192);
    CHECK(layers[5]["kv_max_tokens"].is_null());
    CHECK(layers[5]["state_bytes_per_sequence"] == 0);
    const auto text = run({"layers", "gemma-3-27b", "--full"}).out;
    CHECK(contains(text, "KV bytes/token"));
    CHECK(contains(text, "8,192"));
  }
  SUBCASE("Qwen3-Next: Gated DeltaNet state per layer, attention KV every fourth") {
    // GDN layer: state 32 v-heads × 128 × 128 = 524,288 values, conv 3 columns × (2 × 16 × 128
    // + 32 × 128 = 8192 channels) = 24,576 values; bf16: (524,288 + 24,576) × 2 = 1,097,728.
    // Attention layer (index 3): 2 × 2 kv heads × 256 × 2 bytes = 2048 bytes per token.
    const auto document = nlohmann::json::parse(
        run({"layers", "qwen3-next-80b-a3b", "--format", "json"}).out)["architectures"][0];
    const auto& layers = document["layers"];
    CHECK(layers[0]["state_bytes_per_sequence"] == 1097728);
    CHECK(layers[0]["kv_bytes_per_token"] == 0);
    CHECK(layers[3]["kv_bytes_per_token"] == 2048);
    CHECK(layers[3]["state_bytes_per_sequence"] == 0);
    CHECK(document["cache_dtypes"]["recurrent_state"] == "bf16");
    // --state-dtype fp32 doubles the recurrent part: 524,288 × 4 + 24,576 × 2 = 2,146,304.
    const auto fp32 = nlohmann::json::parse(
        run({"layers", "qwen3-next-80b-a3b", "--state-dtype", "fp32", "--format", "json"})
            .out)["architectures"][0]["layers"];
    CHECK(fp32[0]["state_bytes_per_sequence"] == 2146304);
    // --kv-dtype nvfp4: 2 × 2 × 256 = 1024 values → 512 + 64 scales = 576 bytes.
    const auto fp4 = nlohmann::json::parse(
        run({"layers", "qwen3-next-80b-a3b", "--kv-dtype", "nvfp4", "--format", "json"})
            .out)["architectures"][0]["layers"];
    CHECK(fp4[3]["kv_bytes_per_token"] == 576);
  }
}

TEST_CASE("max_context: JSON flags the points past it; fit warns") {
  SUBCASE("kv and compare JSON: beyond_max_context per context (Llama 3 8B: 8192)") {
    const auto kv = nlohmann::json::parse(run({"kv", "llama-3-8b", "--context", "8k,16k",
                                               "--format", "json", "--allow-beyond-max-context"})
                                              .out)["architectures"][0];
    CHECK(kv["max_context"] == 8192);
    CHECK(kv["rows"][0]["beyond_max_context"] == false);
    CHECK(kv["rows"][1]["beyond_max_context"] == true);
    const auto compare = run({"compare", "llama-3-8b", "--context", "8k,16k", "--format", "json"});
    CHECK(contains(compare.err, "go past its max_context"));
    const auto contexts = nlohmann::json::parse(compare.out)["architectures"][0]["contexts"];
    CHECK(contexts[0]["beyond_max_context"] == false);
    CHECK(contexts[1]["beyond_max_context"] == true);
  }
  SUBCASE("fit --context past max_context: a warning, the text and JSON say so") {
    const auto text = run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--context", "16k"});
    CHECK(contains(text.err,
                   "attnsim: warning: llama-3-8b: contexts up to 16K go past its "
                   "max_context 8K"));
    CHECK(contains(text.out, "largest batch at context 16K (past the model's max_context 8K)"));
    const auto json = run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--context", "16k", "--format",
                           "json", "--allow-beyond-max-context"});
    CHECK(json.err.empty());
    const auto fit = nlohmann::json::parse(json.out)["architectures"][0];
    CHECK(fit["beyond_max_context"] == true);
    CHECK(fit["model_max_context"] == 8192);
    CHECK(run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--context", "8k"}).err.empty());
  }
}

}  // namespace attnsim

namespace attnsim {

TEST_CASE("unknown_params: a total that leaves a part out is a lower bound, or refused") {
  // 2 layers of attention (8 heads, 2 kv heads, head dim 64) on D = 512, vocab 1000, untied,
  // whose FFNs are unknown. Hand count:
  //   embeddings 1000 × 512 = 512,000; lm head 512,000;
  //   attention per layer q 512 × 512 + k 512 × 128 + v 512 × 128 + o 512 × 512 = 655,360, × 2;
  //   layer norms 2 × 512 = 1,024; final norm 512  → total 2,336,256;
  //   active = total − the input table = 1,824,256.
  const std::string yaml = architecture_yaml(
      "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}", "  mixer: attn", 2,
      "unknown_params:\n  - {part: FFN of every layer, reason: width not published}\n");
  ScratchDir dir;
  const std::string file = dir.write("partial.yaml", yaml).string();
  SUBCASE("params: the known count, marked as a lower bound, naming the missing part") {
    const auto json = run({"params", file, "--format", "json"});
    REQUIRE(json.exit_code == 0);
    const auto report = nlohmann::json::parse(json.out)["architectures"][0];
    CHECK(report["params_total"] == 2336256);
    CHECK(report["params_active"] == 1824256);
    CHECK(report["params_lower_bound"] == true);
    CHECK(report["unknown_params"][0]["part"] == "FFN of every layer");
    CHECK(report["unknown_params"][0]["reason"] == "width not published");
    const auto text = run({"params", file}).out;
    CHECK(contains(text, "≥ 0.002 B total"));
    CHECK(contains(text, "lower bound: not counted: FFN of every layer (width not published)"));
    CHECK(contains(text, "≥2,336,256"));
    CHECK(!contains(text, " 2,336,256 "));
  }
  SUBCASE("compare marks its params columns") {
    const auto json = run({"compare", file, "--context", "1k", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    CHECK(nlohmann::json::parse(json.out)["architectures"][0]["params_lower_bound"] == true);
    CHECK(contains(run({"compare", file, "--context", "1k"}).out, "≥"));
  }
  SUBCASE("commands that need every weight refuse, saying why") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"fit", file, "--hw", "h100-sxm"},
          {"roofline", file, "--hw", "h100-sxm"},
          {"capacity", file, "--hw", "h100-sxm"},
          {"params", file, "--by", "tensor"}}) {
      const auto result = run(args);
      CHECK_MESSAGE(result.exit_code == 2, args[0]);
      CHECK_MESSAGE(contains(result.err,
                             "partial: unknown_params: expected every parameter known "
                             "for "),
                    args[0]);
      CHECK_MESSAGE(contains(result.err,
                             "a part left out: FFN of every layer (width not "
                             "published)"),
                    args[0]);
    }
  }
  SUBCASE("an exact published total cannot be checked against a lower bound") {
    const auto result = run({"validate", dir.write("both.yaml", yaml + "expect:\n  params_total: "
                                                                       "3000000\n")
                                             .string()});
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err,
                   "expect.params_total: expected no exact parameter total while "
                   "unknown_params: lists a part, found 3000000"));
  }
  SUBCASE("malformed lists are located") {
    const auto empty =
        run({"validate",
             dir.write("empty.yaml", architecture_yaml("  attn: {kind: softmax_attn, "
                                                       "n_heads: 8, n_kv_heads: 2, "
                                                       "head_dim: 64}",
                                                       "  mixer: attn", 2, "unknown_params: []\n"))
                 .string()});
    CHECK(contains(empty.err, "unknown_params: expected a list of {part: ..., reason: ...}"));
    const auto no_reason =
        run({"validate",
             dir.write("no-reason.yaml",
                       architecture_yaml(
                           "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}",
                           "  mixer: attn", 2, "unknown_params:\n  - {part: FFNs}\n"))
                 .string()});
    CHECK(contains(no_reason.err,
                   "unknown_params[0].reason: expected a text value, found no such key"));
  }
}

}  // namespace attnsim
