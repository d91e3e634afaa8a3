// End-to-end tests of the CLI: exit codes, error messages for every kind of bad input (the
// message names file:line:col, key, what was expected and found), and the JSON contract.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::run;
using testing::ScratchDir;

namespace {
const std::string kAttn = "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: 64}";

// Writes `yaml` to a scratch file, runs `attnsim validate` on it and returns the result.
testing::CliResult validate_text(const std::string& yaml) {
  ScratchDir dir;
  return run({"validate", dir.write("arch.yaml", yaml).string()});
}
}  // namespace

TEST_CASE("run_cli: dispatch and exit codes") {
  SUBCASE("help and version exit 0") {
    CHECK(run({"--help"}).exit_code == 0);
    CHECK(run({"--help"}).out.find("kv") != std::string::npos);
    CHECK(run({"--version"}).exit_code == 0);
  }
  SUBCASE("no command: usage on stderr, exit 2") { CHECK(run({}).exit_code == 2); }
  SUBCASE("unknown command gets a did-you-mean") {
    const auto result = run({"kb", "llama-3-8b"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("did you mean kv?") != std::string::npos);
  }
  SUBCASE("unknown option") {
    const auto result = run({"kv", "llama-3-8b", "--contxt", "4k"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("unrecognised option '--contxt'") != std::string::npos);
  }
  SUBCASE("unknown architecture name suggests the closest") {
    const auto result = run({"kv", "llama-3-8", "--context", "4k"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("did you mean llama-3-8b?") != std::string::npos);
  }
  SUBCASE("bad context and dtype values") {
    CHECK(run({"kv", "llama-3-8b", "--context", "4q"})
              .err.find("--context: expected a token count, found '4q'") != std::string::npos);
    CHECK(run({"kv", "llama-3-8b", "--context", "0"}).exit_code == 2);
    CHECK(run({"kv", "llama-3-8b", "--kv-dtype", "fp9"}).err.find("did you mean fp8?") !=
          std::string::npos);
    CHECK(run({"kv", "llama-3-8b", "--units", "GiBs"}).exit_code == 2);
    CHECK(run({"kv", "llama-3-8b", "--format", "xml"}).exit_code == 2);
  }
}

TEST_CASE("validate: every kind of mistake in a file gets one clear message, exit 2") {
  SUBCASE("a correct file passes") {
    const auto result = validate_text(architecture_yaml(kAttn, "  mixer: attn", 2));
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("ok") == 0);
  }
  SUBCASE("unknown key with did-you-mean") {
    const auto result = validate_text(
        architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, n_kv_head: 2, head_dim: 64}",
                          "  mixer: attn", 2));
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(
              "mixers.attn.n_kv_heads: expected a positive whole number, found no such key") !=
          std::string::npos);
    CHECK(result.err.find("unknown key 'n_kv_head'") != std::string::npos);
    CHECK(result.err.find("did you mean n_kv_heads?") != std::string::npos);
  }
  SUBCASE("unknown top-level key") {
    const auto result = validate_text(architecture_yaml(kAttn, "  mixer: attn", 2, "expekt: {}\n"));
    CHECK(result.err.find(
              "expekt: expected a known key, found an unknown key (did you mean expect?)") !=
          std::string::npos);
  }
  SUBCASE("wrong type, with file:line:col") {
    const auto result = validate_text(architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: eight, n_kv_heads: 2, head_dim: 64}",
        "  mixer: attn", 2));
    CHECK(result.err.find("arch.yaml:17:") != std::string::npos);
    CHECK(result.err.find("mixers.attn.n_heads: expected a positive whole number, found 'eight'") !=
          std::string::npos);
  }
  SUBCASE("non-positive and negative sizes") {
    CHECK(validate_text(architecture_yaml(
                            "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 0, head_dim: 64}",
                            "  mixer: attn", 2))
              .err.find("sizes must be at least 1") != std::string::npos);
    CHECK(
        validate_text(architecture_yaml(
                          "  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 2, head_dim: -64}",
                          "  mixer: attn", 2))
            .err.find("sizes cannot be negative") != std::string::npos);
  }
  SUBCASE("heads not divisible by kv heads") {
    const auto result = validate_text(
        architecture_yaml("  attn: {kind: softmax_attn, n_heads: 8, n_kv_heads: 3, head_dim: 64}",
                          "  mixer: attn", 2));
    CHECK(result.err.find("mixers.attn.n_kv_heads: expected a divisor of n_heads (8), found 3") !=
          std::string::npos);
  }
  SUBCASE("unknown mixer kind") {
    const auto result = validate_text(
        architecture_yaml("  attn: {kind: softmax_atn, n_heads: 8, n_kv_heads: 2, head_dim: 64}",
                          "  mixer: attn", 2));
    CHECK(result.err.find("mixers.attn.kind: expected a mixer kind, found 'softmax_atn' (did you "
                          "mean softmax_attn?)") != std::string::npos);
  }
  SUBCASE("pattern that does not cover n_layers") {
    const auto result = validate_text(architecture_yaml(kAttn, "  mixer: {list: [attn, attn]}", 3));
    CHECK(result.err.find("one name per layer (3 names, model.n_layers), found 2 names") !=
          std::string::npos);
  }
  SUBCASE("index out of range") {
    const auto result = validate_text(architecture_yaml(
        kAttn + "\n  b: {kind: softmax_attn, n_heads: 8, n_kv_heads: 8, head_dim: 64}",
        "  mixer: {default: attn, at: {b: [4]}}", 4));
    CHECK(result.err.find(
              "layers.mixer.at.b[0]: expected a layer index from 0 to 3 (0-based), found 4") !=
          std::string::npos);
  }
  SUBCASE("a layer naming an unknown instance") {
    const auto result = validate_text(architecture_yaml(kAttn, "  mixer: atn", 2));
    CHECK(result.err.find(
              "expected the name of an instance under mixers:, found 'atn' (did you mean attn?)") !=
          std::string::npos);
  }
  SUBCASE("missing dtype for a recurrent state") {
    std::string yaml = architecture_yaml(
        "  m: {kind: mamba2, n_heads: 4, head_dim: 8, state_size: 16, n_groups: 1, conv_kernel: 4}",
        "  mixer: m", 1);
    yaml.replace(yaml.find("  recurrent_state: fp32\n"), 24, "");
    CHECK(validate_text(yaml).err.find(
              "dtypes.recurrent_state: expected a dtype, found no such key") != std::string::npos);
  }
  SUBCASE("syntax error") {
    const auto result = validate_text("model: {d_model: 4\n");
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("expected valid YAML or JSON") != std::string::npos);
  }
  SUBCASE("unreadable file") {
    const auto result = run({"validate", "/nonexistent/arch.yaml"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("/nonexistent/arch.yaml: expected a readable file, found no such file") !=
          std::string::npos);
  }
  SUBCASE("published facts that do not match") {
    const auto result = validate_text(architecture_yaml(
        kAttn, "  mixer: attn", 2, "expect:\n  layers: {full_attn: 3}\n  kv_bytes_per_token: 1\n"));
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("expect.layers.full_attn: the file says 3, the graph has 2") !=
          std::string::npos);
    // 2 layers × 2 kv heads × 128 × 2 bytes = 1,024
    CHECK(result.err.find("expect.kv_bytes_per_token: the file says 1, the model gives 1024") !=
          std::string::npos);
  }
}

TEST_CASE("extends: ablations, cycles and escapes") {
  ScratchDir dir;
  dir.write("base.yaml",
            architecture_yaml(kAttn, "  mixer: attn", 2, "expect:\n  layers: {full_attn: 2}\n"));
  SUBCASE("a child replaces a mixer instance and keeps everything else") {
    const auto child = dir.write("mla.yaml",
                                 "extends: base.yaml\ndisplay_name: Test with MLA\nmixers:\n"
                                 "  attn: {kind: mla, n_heads: 8, kv_lora_rank: 128, "
                                 "qk_nope_head_dim: 32, qk_rope_head_dim: 16, v_head_dim: 32}\n");
    const auto result = run({"kv", child.string(), "--context", "1", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    // 2 layers × (128 + 16) × 2 bytes = 576
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] == 576);
  }
  SUBCASE("a child patches one key of a mixer") {
    const auto child =
        dir.write("window.yaml", "extends: base.yaml\nmixers: {attn: {window: 4}}\n");
    const auto result = run({"kv", child.string(), "--context", "100", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    // 2 layers × 4 tokens × 2 × 2 × 64 × 2 bytes = 4,096
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["rows"][0]["kv_bytes"] == 4096);
  }
  SUBCASE("cycles are errors") {
    dir.write("a.yaml", "extends: b.yaml\n");
    const auto b = dir.write("b.yaml", "extends: a.yaml\n");
    const auto result = run({"validate", b.string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("expected a chain of files without cycles") != std::string::npos);
  }
  SUBCASE("paths may not leave the folder") {
    const auto child = dir.write("escape.yaml", "extends: ../../etc/passwd.yaml\n");
    const auto result = run({"validate", child.string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("extends may not leave the architecture's folder") != std::string::npos);
  }
  SUBCASE("a symbolic link in the folder to a file outside it is refused, with its real path") {
    ScratchDir outside;
    const auto target = outside.write("secret.yaml", "display_name: x\n");
    std::filesystem::create_symlink(target, dir.path() / "link.yaml");
    const auto child = dir.write("linked.yaml", "extends: link.yaml\n");
    const auto result = run({"validate", child.string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("linked.yaml:1:10: extends: expected a file whose real path is inside "
                          "the architecture's folder or the registry, found 'link.yaml', a link "
                          "to ") != std::string::npos);
    CHECK(result.err.find("secret.yaml") != std::string::npos);
  }
  SUBCASE("a symbolic link that stays inside the folder is followed") {
    std::filesystem::create_symlink(dir.path() / "base.yaml", dir.path() / "alias.yaml");
    const auto child =
        dir.write("via-alias.yaml", "extends: alias.yaml\nmixers: {attn: {window: 4}}\n");
    CHECK(run({"kv", child.string(), "--context", "100"}).exit_code == 0);
  }
  SUBCASE("a registry name resolves from architectures/ wherever the file is") {
    const auto child = dir.write("llama-mqa.yaml",
                                 "extends: llama-3-8b\ndisplay_name: Llama 3 8B MQA\n"
                                 "mixers: {attn: {n_kv_heads: 1}}\n");
    const auto result = run({"kv", child.string(), "--context", "1", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    // 32 layers × 1 kv head × 128 × 2 (K, V) × 2 bytes = 16,384
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] == 16384);
  }
  SUBCASE("an unknown registry name suggests the nearest") {
    const auto child = dir.write("typo.yaml", "extends: llama-3-8\n");
    const auto result = run({"validate", child.string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("extends: expected the name of a shipped architecture (or a sibling "
                          "NAME.yaml), found 'llama-3-8' (did you mean llama-3-8b") !=
          std::string::npos);
  }
}

TEST_CASE("kv --format json: the contract keys") {
  const auto result = run({"kv", "qwen3-next-80b-a3b", "gemma-3-27b", "--context", "4k,128k",
                           "--batch", "8", "--format", "json"});
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out);
  CHECK(json["units"] == "bytes");
  REQUIRE(json["architectures"].size() == 2);
  const auto& qwen = json["architectures"][0];
  CHECK(qwen["name"] == "qwen3-next-80b-a3b");
  CHECK(qwen["kv_bytes_per_token"] == 24576);
  CHECK(qwen["state_bytes_per_sequence"] == 39518208);
  CHECK(qwen["layers"]["gated_deltanet"] == 36);
  CHECK(qwen["layers"]["gated_attn"] == 12);
  const auto& row = qwen["rows"][1];
  CHECK(row["context"] == 131072);
  CHECK(row["batch"] == 8);
  // 24,576 B × 131,072 tokens × 8 = 25,769,803,776; state 39,518,208 × 8 = 316,145,664
  CHECK(row["kv_bytes"] == 25769803776ull);
  CHECK(row["state_bytes"] == 316145664);
  CHECK(row["total_bytes"] == 25769803776ull + 316145664);
}

TEST_CASE("params --by tensor and layers --format json") {
  SUBCASE("tensors with transformers' names, folded over layers") {
    const auto result = run({"params", "llama-3-8b", "--by", "tensor", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto json = nlohmann::json::parse(result.out);
    CHECK(json["command"] == "params");
    CHECK(json["by"] == "tensor");
    const auto& llama = json["architectures"][0];
    CHECK(llama["model_type"] == "llama");
    CHECK(llama["names_checked"] == true);
    // q_proj: 32 layers × 4096 × 4096 = 536,870,912 (transformers 5.17's count)
    bool found = false;
    for (const auto& tensor : llama["tensors"])
      if (tensor["name"] == "model.layers.*.self_attn.q_proj.weight") {
        found = true;
        CHECK(tensor["layers"] == 32);
        CHECK(tensor["params"] == 536870912);
      }
    CHECK(found);
    const auto text = run({"params", "llama-3-8b", "--by", "tensor"});
    CHECK(text.out.find("536870912  model.layers.*.self_attn.q_proj.weight") != std::string::npos);
  }
  SUBCASE("an unknown --by is a user error") {
    const auto result = run({"params", "llama-3-8b", "--by", "tensors"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("component or tensor") != std::string::npos);
  }
  SUBCASE("layers in the unified JSON document") {
    const auto result = run({"layers", "gemma-3-27b", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto json = nlohmann::json::parse(result.out);
    CHECK(json["command"] == "layers");
    CHECK(json["units"] == "bytes");
    const auto& gemma = json["architectures"][0];
    // 62 layers, 5 sliding : 1 global from layer 5 (0-based): 52 sliding + 10 full.
    CHECK(gemma["n_layers"] == 62);
    CHECK(gemma["layers"].size() == 62);
    CHECK(gemma["layer_kinds"]["sliding_attn"] == 52);
    CHECK(gemma["layer_kinds"]["full_attn"] == 10);
    CHECK(gemma["layers"][5]["layer_kind"] == "full_attn");
  }
}

TEST_CASE("kv: table formats label their units") {
  const auto gib = run({"kv", "llama-3-8b", "--context", "8k"});
  CHECK(gib.out.find("GiB (2^30 bytes)") != std::string::npos);
  // 131,072 B × 8,192 = 1,073,741,824 B = 1.000 GiB = 1.074 GB
  CHECK(gib.out.find("1.000") != std::string::npos);
  const auto gb =
      run({"kv", "llama-3-8b", "--context", "8k", "--units", "GB", "--format", "markdown"});
  CHECK(gb.out.find("GB (10^9 bytes)") != std::string::npos);
  CHECK(gb.out.find("| 1.074 |") != std::string::npos);
  const auto csv = run({"kv", "llama-3-8b", "--context", "8k", "--format", "csv"});
  CHECK(csv.out.find("llama-3-8b,8192,1,total,32,1073741824,0,1073741824,1073741824,bf16") !=
        std::string::npos);
}

}  // namespace attnsim
