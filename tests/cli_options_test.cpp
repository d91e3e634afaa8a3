// The options every command shares (issue 13): one syntax for contexts, batch, dtypes, units and
// formats in every command; one JSON shape; --set; examples in every --help; fit's answers when
// nothing fits; one -o behaviour with a "wrote" line on stderr.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "tests/reference_dir.h"
#include "tests/support.h"

namespace attnsim {

using testing::run;
using testing::ScratchDir;

namespace {
// Llama 3 8B (architectures/llama-3-8b.yaml): 32 layers × 8 KV heads × head_dim 128 × (K and V)
// × 2 bytes (bf16) = 131,072 bytes per token.
constexpr std::uint64_t kLlama3KvBytesPerToken = 32ULL * 8 * 128 * 2 * 2;
}  // namespace

TEST_CASE("shared options: the same values are accepted by every command") {
  SUBCASE("kv takes a context range like plot, compare and sweep") {
    const auto result = run({"kv", "llama-3-8b", "--context", "1k:4k", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto rows = nlohmann::json::parse(result.out)["architectures"][0]["rows"];
    REQUIRE(rows.size() == 3);  // 1K, 2K, 4K
    CHECK(rows[0]["context"] == 1024);
    CHECK(rows[2]["context"] == 4096);
    CHECK(rows[2]["kv_bytes"] == 4096 * kLlama3KvBytesPerToken);
  }
  SUBCASE("units and dtypes are case-insensitive") {
    const auto lower = run({"kv", "llama-3-8b", "--units", "gb", "--kv-dtype", "FP8"});
    CHECK(lower.exit_code == 0);
    CHECK(lower.out.find("sizes in GB (10^9 bytes)") != std::string::npos);
    CHECK(lower.out.find("65,536") != std::string::npos);  // fp8 halves 131,072 bytes/token
    CHECK(run({"compare", "llama-3-8b", "--units", "mib"}).out.find("MiB") != std::string::npos);
    CHECK(run({"kv", "llama-3-8b", "--format", "JSON"}).exit_code == 0);
  }
  SUBCASE("batch is a number of sequences, not of tokens") {
    for (const std::string command : {"kv", "compare"}) {
      const auto result = run({command, "llama-3-8b", "--batch", "0"});
      CHECK(result.exit_code == 2);
      CHECK(result.err.find("--batch: expected a positive number of sequences, found '0'") !=
            std::string::npos);
    }
  }
  SUBCASE("compare and sweep take --batch") {
    const auto compare =
        run({"compare", "llama-3-8b", "--context", "128k", "--batch", "8", "--format", "json"});
    REQUIRE(compare.exit_code == 0);
    const auto entry = nlohmann::json::parse(compare.out)["architectures"][0]["contexts"][0];
    CHECK(entry["batch"] == 8);
    CHECK(entry["total_bytes"] == 8 * 131072 * kLlama3KvBytesPerToken);
    const auto sweep = run({"sweep", "llama-3-8b", "--vary", "kv_heads=4", "--context", "1k",
                            "--batch", "2", "--format", "json"});
    REQUIRE(sweep.exit_code == 0);
    const auto variants = nlohmann::json::parse(sweep.out)["architectures"];
    CHECK(variants[0]["contexts"][0]["total_bytes"] == 2 * 1024 * kLlama3KvBytesPerToken);
    CHECK(variants[1]["contexts"][0]["total_bytes"] == 2 * 1024 * kLlama3KvBytesPerToken / 2);
  }
  SUBCASE("--units with --format json: exact bytes, and a note saying so") {
    const auto result = run({"kv", "llama-3-8b", "--units", "MB", "--format", "json"});
    CHECK(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["units"] == "bytes");
    CHECK(result.err.find("--units MB does not apply to --format json") != std::string::npos);
    // (within Llama 3's max_context 8K, so no warning either)
    CHECK(run({"kv", "llama-3-8b", "--context", "8k", "--format", "json"}).err.empty());
  }
  SUBCASE("a format a command does not offer is named with the ones it does") {
    const auto result = run({"list", "--format", "json"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--format: expected text, markdown, csv, found 'json'") !=
          std::string::npos);
  }
}

TEST_CASE("--format json: one top-level object shape for every command") {
  const std::vector<std::vector<std::string>> commands = {
      {"kv", "llama-3-8b"},
      {"kv", "llama-3-8b", "--engine", "vllm"},
      {"compare", "llama-3-8b", "gemma-3-1b"},
      {"sweep", "llama-3-8b", "--vary", "kv_heads=2,4"},
      {"params", "llama-3-8b"},
      {"flops", "llama-3-8b"},
      {"roofline", "llama-3-8b", "--hw", "h100-sxm"},
      {"fit", "llama-3-8b", "--hw", "h100-sxm"},
  };
  for (auto args : commands) {
    CAPTURE(args[0]);
    args.insert(args.end(), {"--format", "json"});
    const auto result = run(args);
    REQUIRE(result.exit_code == 0);
    const auto document = nlohmann::json::parse(result.out);
    REQUIRE(document.is_object());
    CHECK(document["command"] == args[0]);
    CHECK(document["units"] == "bytes");
    REQUIRE(document["architectures"].is_array());
    CHECK(!document["architectures"].empty());
  }
}

TEST_CASE("--set: a one-line hypothetical model on every command that takes an architecture") {
  SUBCASE("kv: Qwen3-Next with 4 instead of 2 KV heads doubles its attention KV") {
    // 12 gated-attention layers × Hkv × head_dim 256 × (K, V) × 2 bytes: 24,576 at Hkv = 2.
    const auto result = run({"kv", "qwen3-next-80b-a3b", "--set", "mixers.attn.n_kv_heads=4",
                             "--context", "4k", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto arch = nlohmann::json::parse(result.out)["architectures"][0];
    CHECK(arch["kv_bytes_per_token"] == 12 * 4 * 256 * 2 * 2);
    CHECK(arch["name"] == "qwen3-next-80b-a3b (--set mixers.attn.n_kv_heads=4)");
  }
  SUBCASE("repeatable; applied in order") {
    const auto result =
        run({"kv", "llama-3-8b", "--set", "mixers.attn.n_kv_heads=1", "--set", "model.n_layers=16",
             "--set", "dtypes.kv_cache=fp8", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    // 16 layers × 1 KV head × 128 × 2 × 1 byte.
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] ==
          16 * 1 * 128 * 2 * 1);
  }
  SUBCASE("a misspelt key is an error naming the setting, with a did-you-mean") {
    const auto result = run({"kv", "llama-3-8b", "--set", "mixers.attn.n_kv_head=4"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--set mixers.attn.n_kv_head=4") != std::string::npos);
    CHECK(result.err.find("did you mean n_kv_heads?") != std::string::npos);
  }
  SUBCASE("malformed settings") {
    CHECK(run({"kv", "llama-3-8b", "--set", "mixers.attn.n_kv_heads"})
              .err.find("expected KEY.PATH=VALUE") != std::string::npos);
    CHECK(run({"kv", "llama-3-8b", "--set", "mixers..n_kv_heads=4"}).exit_code == 2);
  }
  SUBCASE("accepted by the other commands") {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"layers", "llama-3-8b"},
                                                {"params", "llama-3-8b"},
                                                {"flops", "llama-3-8b"},
                                                {"compare", "llama-3-8b"},
                                                {"roofline", "llama-3-8b", "--hw", "h100-sxm"},
                                                {"fit", "llama-3-8b", "--hw", "h100-sxm"},
                                                {"sweep", "llama-3-8b", "--vary", "kv_heads=1"}}) {
      auto with_set = args;
      with_set.insert(with_set.end(), {"--set", "model.n_layers=4"});
      CAPTURE(args[0]);
      CHECK(run(with_set).exit_code == 0);
    }
  }
}

TEST_CASE("--help: every command shows real examples") {
  for (const auto& command : cli::commands()) {
    const std::string name(command.name);
    CAPTURE(name);
    const auto result = run({name, "--help"});
    CHECK(result.exit_code == 0);
    const auto examples = result.out.find("\nExamples:\n");
    REQUIRE(examples != std::string::npos);
    std::size_t count = 0;
    for (auto at = result.out.find("\n  attnsim " + name, examples); at != std::string::npos;
         at = result.out.find("\n  attnsim " + name, at + 1))
      ++count;
    CHECK(count >= 2);
  }
  for (const std::string figure : {"memory", "layers", "flops", "decode"})
    CHECK(run({"plot", figure, "--help"}).out.find("  attnsim plot " + figure) !=
          std::string::npos);
}

TEST_CASE("fit: what to change when nothing fits") {
  SUBCASE("Llama 3.1 70B on one A10G: TP 8 fits, TP 4 does not") {
    // Weights 141.1 GB in bf16 (2 bytes × 70.55B parameters); the A10G holds 24 GB less a 10%
    // reserve = 21.6 GB. TP 4: 35.3 GB per rank (no); TP 8: 17.6 GB (yes). fp8 (70.6 GB) and
    // int4 (35.3 GB) at TP 1 do not fit either.
    const auto result = run({"fit", "llama-3.1-70b", "--hw", "a10g", "--format", "json"});
    CHECK(result.exit_code == 1);
    const auto fit = nlohmann::json::parse(result.out)["architectures"][0];
    CHECK(fit["max_context"].is_null());
    REQUIRE(fit["alternatives"].size() == 1);
    CHECK(fit["alternatives"][0]["tp"] == 8);
    CHECK(fit["alternatives"][0]["weight_bytes_per_rank"] ==
          fit["weight_bytes_per_rank"].get<std::uint64_t>() / 8);
    const auto text = run({"fit", "llama-3.1-70b", "--hw", "a10g"});
    CHECK(text.out.find("would fit with --tp 8 --weights-dtype bf16") != std::string::npos);
  }
  SUBCASE("a dense model is not said to hold all experts") {
    CHECK(run({"fit", "llama-3-8b", "--hw", "h100-sxm"}).out.find("experts") == std::string::npos);
    CHECK(run({"fit", "qwen3-next-80b-a3b", "--hw", "h200", "--tp", "2"})
              .out.find("(all experts resident)") != std::string::npos);
  }
  SUBCASE("--reserve shows as written and is checked") {
    CHECK(run({"fit", "--help"}).out.find("(=0.1)") != std::string::npos);
    CHECK(run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--reserve", "1.5"}).exit_code == 2);
    CHECK(run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--reserve", "x"}).exit_code == 2);
  }
}

TEST_CASE("-o: missing folders are created and one line on stderr says what was written") {
  ScratchDir dir;
  SUBCASE("import-hf") {
    const auto file = dir.path() / "new" / "folder" / "llama.yaml";
    const auto result =
        run({"import-hf",
             (testing::reference_dir() / "hf-configs" / "meta-llama-3-8b-instruct.json").string(),
             "-o", file.string()});
    CHECK(result.exit_code == 0);
    CHECK(std::filesystem::exists(file));
    CHECK(result.out.empty());
    CHECK(result.err == "attnsim: wrote " + file.string() + "\n");
  }
  SUBCASE("plot") {
    const auto image = dir.path() / "figs" / "layers.svg";
    const auto result = run({"plot", "layers", "llama-3-8b", "-o", image.string()});
    CHECK(result.out.empty());
    CHECK(result.err.starts_with("attnsim: wrote " + image.string()));
  }
}

}  // namespace attnsim
