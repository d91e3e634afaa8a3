// The malformed-input corpus (tests/malformed/cases.yaml): every broken architecture file,
// config.json, .npy file and command line must fail with exit code 2 and the exact message
// fragment the manifest gives (file:line:col, key path, hint) — never a crash, hang or exit 3.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/document.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/npy.h"
#include "tests/support.h"
#include "core/paths.h"

namespace attnsim {

namespace {
namespace fs = std::filesystem;

const fs::path kCorpus = source_dir() / "tests" / "malformed";

// Documents too large to keep in the repository, built on the fly: `generate: NAME`.
std::string generated_text(const std::string& name) {
  if (name == "nested_lists") return "a: " + std::string(100000, '[') + std::string(100000, ']');
  if (name == "unclosed_lists") return "a: " + std::string(100000, '[') + "\n";
  if (name == "nested_maps") {
    std::string text = "a: ";
    for (int i = 0; i < 5000; ++i) text += "{b: ";
    return text + "1" + std::string(5000, '}') + "\n";
  }
  if (name == "long_key") return "display_name: x\n" + std::string(200000, 'k') + ": 1\n";
  if (name == "many_keys") {
    std::string text = "display_name: x\nextra:\n";
    for (int i = 0; i < 20000; ++i) text += fmt::format("  key{}: {}\n", i, i);
    return text;
  }
  if (name == "nested_json")
    return R"({"model_type": "llama", "x": )" + std::string(100000, '[') +
           std::string(100000, ']') + "}";
  FAIL("unknown generator ", name);
  return {};
}

// The message and exit code of one case; .npy files are read through the library (the CLI
// reads them only inside `oracle` case folders), where a UserError is what exit code 2 reports.
testing::CliResult run_case(const config::Node& item, const testing::ScratchDir& scratch) {
  config::MapReader reader(item, "case");
  const std::string kind = reader.required_string("kind");
  std::string file;
  if (const auto name = reader.optional_string("file")) file = (kCorpus / *name).string();
  if (const auto name = reader.optional_string("generate"))
    file = scratch.write(*name + (kind == "import" ? ".json" : ".yaml"), generated_text(*name))
               .string();
  std::vector<std::string> args;
  for (const auto& arg : reader.optional_string_list("args")) {
    std::string value = arg;
    if (const auto at = value.find("{corpus}"); at != std::string::npos)
      value.replace(at, 8, kCorpus.string());
    args.push_back(value);
  }
  reader.declare("name");
  reader.declare("expect");
  reader.finish();
  if (kind == "validate") return testing::run({"validate", file});
  if (kind == "import") return testing::run({"import-hf", file});
  if (kind == "cli") return testing::run(args);
  REQUIRE(kind == "npy");
  try {
    read_npy_float(file);
    read_npy_int(file);
  } catch (const UserError& error) {
    return {2, "", error.what()};
  }
  return {0, "", ""};
}
}  // namespace

TEST_CASE("malformed inputs: each gets its own clear message and exit code 2") {
  const config::Node manifest =
      config::load_document(kCorpus / "cases.yaml", "tests/malformed/cases.yaml");
  REQUIRE(manifest.is_sequence());
  CHECK(manifest.items.size() >= 60);
  for (const auto& item : manifest.items) {
    const std::string name = config::as_string(*item.find("name"), "name");
    const config::Node* expect = item.find("expect");
    REQUIRE_MESSAGE(expect != nullptr, name);
    SUBCASE(name.c_str()) {
      testing::ScratchDir scratch;
      const auto result = run_case(item, scratch);
      INFO("case ", name, ": ", result.err);
      if (expect->scalar == "ok") {
        CHECK(result.exit_code == 0);
      } else {
        CHECK(result.exit_code == 2);
        CHECK(result.err.find(expect->scalar) != std::string::npos);
      }
    }
  }
}

}  // namespace attnsim
