// `attnsim validate`: loads architecture files and checks them against their `expect:` facts;
// evaluates the claims about them (their own and those of claims/ files) and checks claims files.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <ostream>

#include "cli/options.h"
#include "cost/claims.h"
#include "cost/expectations.h"
#include "graph/claim_files.h"
#include "graph/load.h"
#include "report/claims_report.h"
#include "report/layers_report.h"

namespace attnsim::cli {

namespace {
// A claims file has claims: and no model: (every architecture file has a model:).
bool is_claims_file(const std::string& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) return false;  // a registry name
  const config::Node document = config::load_document(file, file);
  return document.is_map() && document.find("claims") != nullptr &&
         document.find("model") == nullptr;
}

// "ok  claims/x.yaml: 3 claims about 2 models", and each claim against its model.
void validate_claims_file(const std::string& file, std::ostream& out) {
  const std::vector<ModelClaim> claims = load_claim_file(file);
  std::vector<std::string> models;
  for (const ModelClaim& entry : claims)
    if (std::find(models.begin(), models.end(), entry.model) == models.end())
      models.push_back(entry.model);
  out << fmt::format("ok  {}: {} claim{} about {} model{}\n", file, claims.size(),
                     claims.size() == 1 ? "" : "s", models.size(), models.size() == 1 ? "" : "s");
  for (const std::string& model : models) {
    Architecture architecture = load_architecture(model);
    architecture.claims.clear();
    for (const ModelClaim& entry : claims)
      if (entry.model == model) architecture.claims.push_back(entry.claim);
    out << fmt::format("  {}:\n", model) << report::claims_lines(check_claims(architecture));
  }
}
}  // namespace

int run_validate(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("all", "every architecture in architectures/");
  const auto vm = parse_options("validate", args, options, "file");
  if (vm.count("help")) {
    out << usage("validate", "FILE... | --all", options,
                 {"validate path/to/my-arch.yaml", "validate --all", "validate claims/*.yaml",
                  "validate architectures/qwen3-next-80b-a3b.yaml path/to/config.json"});
    return 0;
  }
  std::vector<std::string> files;
  if (vm.count("file")) files = vm["file"].as<std::vector<std::string>>();
  if (vm.count("all")) {
    for (const auto& file : list_architecture_files()) files.push_back(file.string());
    for (const auto& file : list_claim_files()) files.push_back(file.string());
  }
  if (files.empty()) throw UserError({}, "validate", "at least one file or --all", "none");
  // Every file is checked and every mistake of each reported, before the command fails.
  ErrorCollector mistakes;
  std::vector<std::string> failures;
  for (const auto& file : files) {
    bool claims_file = false;
    mistakes.attempt([&] { claims_file = is_claims_file(file); });
    if (claims_file) {
      mistakes.attempt([&] { validate_claims_file(file, out); });
      continue;
    }
    Architecture architecture;
    if (!mistakes.attempt([&] { architecture = load_architecture(file); })) continue;
    print_warnings(architecture);
    const auto mismatches = check_expectations(architecture);
    if (mismatches.empty()) {
      out << fmt::format("ok  {}: {} layers ({})\n", architecture.file, architecture.layers.size(),
                         report::format_layer_mix(count_layer_kinds(architecture)));
      // Claims from articles are information, not facts the file asserts: they never fail.
      architecture.claims = all_claims(architecture);
      out << report::claims_lines(check_claims(architecture));
      continue;
    }
    for (const auto& mismatch : mismatches)
      failures.push_back(fmt::format("{}: {}", architecture.file, mismatch));
  }
  if (!failures.empty())
    mistakes.add(
        UserError(fmt::format("published facts do not match:\n  {}", fmt::join(failures, "\n  "))));
  mistakes.throw_if_any();
  return 0;
}

}  // namespace attnsim::cli
