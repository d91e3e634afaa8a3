// A sweep over every registered mixer kind: its field table is well formed (so scale-down and the
// sweep knobs can work by role), and `attnsim kinds` lists it, in text and JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "mixers/mixer.h"
#include "tests/support.h"

namespace attnsim {

namespace {
void check_table(const std::string& path, const FieldTable& table) {
  std::set<std::string_view> keys;
  for (const Field& field : table) {
    INFO(path << "." << field.key);
    CHECK(keys.insert(field.key).second);  // each key declared once
    CHECK(!field.description.empty());
    const bool grouped = field.role == FieldRole::kv_heads || field.role == FieldRole::head_groups;
    CHECK(grouped == !field.groups.empty());
    if (grouped) {
      const Field* heads = find_field(table, field.groups);
      REQUIRE(heads != nullptr);
      CHECK(heads->role == FieldRole::heads);
    }
    CHECK((field.type == FieldType::choice) == !field.choices.empty());
    if (field.type == FieldType::choice && !field.default_value.empty() &&
        field.default_value != kRequired)
      CHECK(std::find(field.choices.begin(), field.choices.end(), field.default_value) !=
            field.choices.end());
    CHECK((field.type == FieldType::map) == (field.fields != nullptr));
    if (field.fields != nullptr) check_table(path + "." + std::string(field.key), *field.fields);
  }
}
}  // namespace

TEST_CASE("mixer_kinds: every kind declares its fields, cache terms and forms") {
  for (const auto& kind : mixer_kinds()) {
    INFO(kind.kind);
    REQUIRE(kind.fields != nullptr);
    CHECK(static_cast<bool>(kind.from_fields));
    CHECK(!kind.fields->empty());
    CHECK(!kind.cache.empty());
    CHECK(find_mixer_kind(kind.kind) == &kind);
    check_table(std::string(kind.kind), *kind.fields);
  }
  CHECK(find_mixer_kind("attention") == nullptr);
}

TEST_CASE("FieldValues") {
  const auto validate = [](const std::string& mixer) {
    testing::ScratchDir dir;
    return testing::run(
        {"validate",
         dir.write("arch.yaml", testing::architecture_yaml(mixer, "  mixer: m", 2)).string()});
  };
  SUBCASE("a choice outside the table is rejected with a did-you-mean") {
    const auto result =
        validate("  m: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8, qk_norm: hed}");
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("one of none, head, full") != std::string::npos);
    CHECK(result.err.find("did you mean head?") != std::string::npos);
  }
  SUBCASE("a key no field declares is rejected") {
    const auto result =
        validate("  m: {kind: lightning, n_heads: 4, head_dim: 8, slopes: ling, gate: true}");
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("gate") != std::string::npos);
  }
  SUBCASE("defaults come from the table") {
    const auto result = validate("  m: {kind: lightning, n_heads: 4, head_dim: 8, slopes: ling}");
    CHECK(result.exit_code == 0);
  }
}

TEST_CASE("run_kinds") {
  const auto list = testing::run({"kinds"});
  REQUIRE(list.exit_code == 0);
  for (const auto& kind : mixer_kinds()) {
    INFO(kind.kind);
    CHECK(list.out.find(std::string(kind.kind)) != std::string::npos);
    const auto one = testing::run({"kinds", std::string(kind.kind)});
    REQUIRE(one.exit_code == 0);
    for (const Field& field : *kind.fields)
      CHECK(one.out.find(std::string(field.key)) != std::string::npos);
  }
  SUBCASE("json: one object per kind with its fields") {
    const auto json = nlohmann::json::parse(testing::run({"kinds", "--format", "json"}).out);
    REQUIRE(json.size() == mixer_kinds().size());
    const auto& softmax = json.at(0);
    CHECK(softmax.at("kind") == "softmax_attn");
    CHECK(softmax.at("fields").at(1).at("key") == "n_kv_heads");
    CHECK(softmax.at("fields").at(1).at("role") == "kv_heads");
    CHECK(softmax.at("fields").at(1).at("groups") == "n_heads");
    CHECK(softmax.at("fields").at(1).at("required") == true);
  }
  SUBCASE("an unknown kind: exit 2 with a did-you-mean") {
    const auto result = testing::run({"kinds", "mamba3x"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("did you mean") != std::string::npos);
  }
}

}  // namespace attnsim
