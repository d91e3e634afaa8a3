// Holds every shipped architecture file to the config.json it cites: importing the config must
// give the same layer graph and per-layer numbers, except for differences the file documents in
// source.config_differences. Also the importer's own behaviour: determinism, errors, Infinity.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/document.h"
#include "graph/compare.h"
#include "graph/load.h"
#include "import/hf_config.h"
#include "import/importer.h"
#include "tests/reference_dir.h"
#include "tests/support.h"

namespace attnsim {

namespace {
const std::string kConfigs = testing::reference_dir().string() + "/hf-configs/";

std::string config_path(const Architecture& architecture) {
  const std::string prefix = "hf-configs/";
  const std::string& cited = architecture.source.config;
  if (!cited.starts_with(prefix)) return {};
  return kConfigs + cited.substr(prefix.size());
}

Architecture import_architecture(const std::string& path) {
  return build_architecture(config::parse_document(import::import_hf(path), path + " (imported)"),
                            "imported", path);
}
}  // namespace

TEST_CASE("import_hf agrees with every shipped architecture that cites a config") {
  std::size_t checked = 0, partial_limited = 0;
  for (const auto& file : list_architecture_files()) {
    const Architecture shipped = load_architecture_file(file);
    const std::string path = config_path(shipped);
    if (path.empty()) continue;
    CAPTURE(file.string());
    CAPTURE(path);
    const import::HfConfig raw = import::load_hf_config(path);
    Architecture imported;
    try {
      imported = import_architecture(path);
    } catch (const UserError& error) {
      // A partial config may lack keys the mapping needs: then check the keys it has.
      REQUIRE_MESSAGE(raw.partial(), error.what());
      const std::string message = error.what();
      CHECK((message.find("no such key") != std::string::npos ||
             message.find("found no model_type") != std::string::npos));
      if (raw.has("hidden_size")) CHECK(raw.count("hidden_size") == shipped.dims.d_model);
      if (raw.has("num_hidden_layers"))
        CHECK(raw.count("num_hidden_layers") == shipped.dims.n_layers);
      if (raw.has("vocab_size")) CHECK(raw.count("vocab_size") == shipped.dims.vocab_size);
      ++partial_limited;
      continue;
    }
    const auto& documented = shipped.source.config_differences;
    for (const auto& difference : compare_graphs(shipped, imported)) {
      if (std::find(documented.begin(), documented.end(), difference.key) != documented.end())
        continue;
      FAIL_CHECK(format_difference(difference, "architecture", "config.json"));
    }
    ++checked;
  }
  MESSAGE(
      fmt::format("{} files checked in full against their config; {} partial configs checked "
                  "on their top-level keys",
                  checked, partial_limited));
  CHECK(checked >= 25);
}

// Reference configs whose model_type attnsim does not import yet (none since issue 14 imported
// MiniMax-M1 and SambaY). Named, so that supporting one means taking it off this list.
const std::set<std::string> kPendingModelTypes = {};

TEST_CASE("import_hf on every reference config") {
  for (const auto& entry : std::filesystem::directory_iterator(kConfigs)) {
    const std::string path = entry.path().string();
    // Not a config.json: DeepSeek's own inference config and kvfit's test fixtures, which wrap a
    // config in an object of their own (see SOURCES.md).
    if (entry.path().extension() != ".json" || path.find("inference-config") != std::string::npos ||
        path.find("kvfit-fixture") != std::string::npos)
      continue;
    CAPTURE(path);
    const std::string model_type = import::load_hf_config(path).model_type();
    if (kPendingModelTypes.count(model_type)) {
      CHECK_THROWS_WITH_AS(import::import_hf(path), doctest::Contains("model_type"), UserError);
      continue;
    }
    const bool partial = import::load_hf_config(path).partial();
    try {
      const std::string yaml = import::import_hf(path);
      CHECK_NOTHROW(build_architecture(config::parse_document(yaml, path), "imported", path));
    } catch (const UserError& error) {
      // Only a partial config may lack a key the mapping needs.
      CHECK_MESSAGE(partial, error.what());
      CHECK(std::string(error.what()).find("no such key") != std::string::npos);
    }
  }
}

TEST_CASE("import_hf output") {
  const std::string path = kConfigs + "qwen3-next-80b-a3b-instruct.json";
  const std::string yaml = import::import_hf(path, {"Qwen3-Next 80B-A3B", "80B-A3B"});
  SUBCASE("is deterministic: importing twice gives identical text") {
    CHECK(import::import_hf(path, {"Qwen3-Next 80B-A3B", "80B-A3B"}) == yaml);
  }
  SUBCASE("is compact") {
    CHECK(yaml.find("mixer: {repeat: [gdn, gdn, gdn, attn]}") != std::string::npos);
    CHECK(std::count(yaml.begin(), yaml.end(), '\n') < 60);
  }
  SUBCASE("round-trips through the loader") {
    testing::ScratchDir dir;
    const auto file = dir.write("qwen3-next.yaml", yaml);
    const auto result = testing::run({"kv", file.string(), "--context", "1", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("\"kv_bytes_per_token\": 24576") != std::string::npos);
  }
}

TEST_CASE("load_hf_config") {
  SUBCASE("bare Infinity as HF writes it") {
    const import::HfConfig config =
        import::load_hf_config(kConfigs + "nemotron-h-56b-base-8k.json");
    CHECK(config.model_type() == "nemotron_h");
    CHECK_NOTHROW(import::import_hf(kConfigs + "nemotron-h-56b-base-8k.json"));
  }
  SUBCASE("bare NaN where the mapping does not read it") {
    testing::ScratchDir dir;
    const auto file = dir.write("c.json", R"({"model_type": "llama", "hidden_size": 4096,
        "vocab_size": 128256, "num_hidden_layers": 2, "tie_word_embeddings": false,
        "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
        "router_jitter": NaN, "rope_theta": Infinity})");
    CHECK_NOTHROW(import::import_hf(file.string()));
  }
  SUBCASE("an unknown model_type names the known ones") {
    testing::ScratchDir dir;
    const auto file = dir.write("c.json", R"({"model_type": "qwen4", "hidden_size": 8})");
    CHECK_THROWS_WITH_AS(
        import::import_hf(file.string()),
        doctest::Contains("model_type: expected a model_type attnsim can import, found 'qwen4'"),
        UserError);
  }
  SUBCASE("a missing key is named, and nothing is written") {
    testing::ScratchDir dir;
    const auto file = dir.write("c.json", R"({"model_type": "llama", "hidden_size": 4096,
        "vocab_size": 128256, "num_hidden_layers": 32, "tie_word_embeddings": false,
        "num_key_value_heads": 8, "intermediate_size": 14336})");
    const auto output = dir.path() / "out.yaml";
    const auto result = testing::run({"import-hf", file.string(), "-o", output.string()});
    CHECK(result.exit_code == 2);
    CHECK(
        result.err.find("num_attention_heads: expected a positive whole number (the llama mapping "
                        "needs it), found no such key") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(output));
  }
  SUBCASE("-o: a write that fails leaves no partial file (core/atomic_file)") {
    testing::ScratchDir dir;
    // A folder where the file should go: the rename onto it fails after the YAML was written.
    const auto output = dir.path() / "out.yaml";
    std::filesystem::create_directories(output / "inside");
    const auto result = testing::run(
        {"import-hf", kConfigs + "meta-llama-3-8b-instruct.json", "-o", output.string()});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("out.yaml") != std::string::npos);
    CHECK(std::filesystem::is_directory(output / "inside"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
      ++entries;
    CHECK(entries == 1);  // out.yaml/ only: no temporary left beside it
  }
  SUBCASE("a config.json is accepted wherever an architecture is") {
    const auto result =
        testing::run({"kv", kConfigs + "meta-llama-3-8b-instruct.json", "--context", "8k"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("131,072") != std::string::npos);
  }
  SUBCASE("diff: same graph → exit 0; different → exit 1 with the key and both values") {
    CHECK(testing::run({"diff", "llama-3-8b", kConfigs + "meta-llama-3-8b-instruct.json"})
              .exit_code == 0);
    const auto result = testing::run({"diff", "llama-3-8b", "llama-3.1-8b"});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("model.max_context: architectures/llama-3-8b.yaml '8192', "
                          "architectures/llama-3.1-8b.yaml '131072'") != std::string::npos);
  }
}

}  // namespace attnsim
