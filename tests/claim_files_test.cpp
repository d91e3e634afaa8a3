// claims/: one file per source, each claim naming a registry model; read, matched to the model
// and evaluated by validate and the reports (graph/claim_files.h, cost/claims.h).
#include "graph/claim_files.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "cost/claims.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

namespace {
std::string claim_file_error(const std::string& yaml) {
  testing::ScratchDir dir;
  try {
    load_claim_file(dir.write("claims.yaml", yaml));
  } catch (const UserError& error) {
    return error.what();
  }
  FAIL("the claims file loaded");
  return "";
}
}  // namespace

// Every shipped claims file loads, names registry models and evaluates against them.
TEST_CASE("claims/: every file loads and every claim evaluates") {
  const auto files = list_claim_files();
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    SUBCASE(file.filename().string().c_str()) {
      const std::vector<ModelClaim> claims = load_claim_file(file);
      CHECK(!claims.empty());
      for (const ModelClaim& entry : claims) {
        Architecture architecture = load_architecture(entry.model);
        architecture.claims = {entry.claim};
        const std::vector<ClaimCheck> checks = check_claims(architecture);
        REQUIRE(checks.size() == 1);
        INFO(entry.model, ": ", entry.claim.says);
        CHECK(std::isfinite(checks[0].computed));
        CHECK(!checks[0].verdict.empty());
      }
    }
  }
}

TEST_CASE("claims_from_files: the claims about a registry model, after its own") {
  SUBCASE("granite-4.0-h-small: IBM's 9:1 holds (4 attention layers / 40 = 0.1)") {
    const Architecture granite = load_architecture("granite-4.0-h-small");
    CHECK(granite.claims.empty());  // its claims live in claims/, not in the file
    Architecture with_files = granite;
    with_files.claims = all_claims(granite);
    const std::vector<ClaimCheck> checks = check_claims(with_files);
    REQUIRE(checks.size() == 3);
    bool ratio_checked = false;
    for (const ClaimCheck& check : checks)
      if (check.claim.quantity == "attention_fraction") {
        CHECK(check.computed == doctest::Approx(4.0 / 40.0));
        CHECK(check.holds);
        ratio_checked = true;
      }
    CHECK(ratio_checked);
  }
  SUBCASE("mamba3-mimo-1.5b: the card's 1.50 B holds (1,494,723,584 is 0.35% below)") {
    Architecture mamba3 = load_architecture("mamba3-mimo-1.5b");
    mamba3.claims = all_claims(mamba3);
    for (const ClaimCheck& check : check_claims(mamba3))
      if (check.claim.quantity == "params_total") {
        CHECK(check.computed == 1'494'723'584.0);
        CHECK(check.holds);
      }
  }
  SUBCASE("a user's copy of a registry file is another model: no claims from claims/") {
    testing::ScratchDir dir;
    const auto copy = dir.write("granite-4.0-h-small.yaml", [] {
      std::ifstream in(architectures_dir() / "granite-4.0-h-small.yaml");
      return std::string(std::istreambuf_iterator<char>(in), {});
    }());
    CHECK(claims_from_files(load_architecture(copy.string())).empty());
  }
}

TEST_CASE("load_claim_file: mistakes are located and named") {
  const std::string claim = R"(
  - model: granite-4.0-h-small
    says: "9:1"
    quantity: attention_fraction
    value: 0.1
)";
  SUBCASE("a model the registry does not have, with the nearest name") {
    const std::string error = claim_file_error(
        "source: x\nclaims:\n  - model: granite-4.0-h-smal\n    says: a\n    quantity: layers\n"
        "    value: 40\n");
    CHECK(error.find("claims[0].model") != std::string::npos);
    CHECK(error.find("granite-4.0-h-small") != std::string::npos);
  }
  SUBCASE("a file is one source: a claim may not restate it") {
    CHECK(claim_file_error("source: x\nclaims:" + claim + "    source: y\n").find("source") !=
          std::string::npos);
  }
  SUBCASE("no source") {
    CHECK(claim_file_error("claims:" + claim).find("source") != std::string::npos);
  }
  SUBCASE("a quantity attnsim does not compute") {
    CHECK(claim_file_error("source: x\nclaims:\n  - model: granite-4.0-h-small\n    says: a\n"
                           "    quantity: layer\n    value: 40\n")
              .find("quantity") != std::string::npos);
  }
  SUBCASE("no claims") {
    CHECK(claim_file_error("source: x\n").find("claims") != std::string::npos);
  }
}

TEST_CASE("validate: claims files and the claims about a model") {
  SUBCASE("validate CLAIMS_FILE: each claim against its model") {
    const auto result =
        testing::run({"validate", (claims_dir() / "ibm-granite-4.0-announcement.yaml").string()});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("1 claim about 1 model") != std::string::npos);
    CHECK(result.out.find("attention_fraction: claimed 10.0%, computed 10.0% — holds") !=
          std::string::npos);
  }
  SUBCASE("validate ARCHITECTURE: the claims of claims/ files about it") {
    const auto result = testing::run({"validate", "granite-4.0-h-small"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("claim \"32B total parameters\"") != std::string::npos);
    CHECK(result.out.find("differs by +0.65%") != std::string::npos);
  }
  SUBCASE("a mistake in a claims file fails validate with its location") {
    testing::ScratchDir dir;
    const auto file = dir.write("bad.yaml",
                                "source: x\nclaims:\n  - model: nope\n    says: a\n    quantity: "
                                "layers\n    value: 1\n");
    const auto result = testing::run({"validate", file.string()});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("bad.yaml:3") != std::string::npos);
  }
}

}  // namespace attnsim
