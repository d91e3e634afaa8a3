// Tests of document parsing (locations, duplicates) and MapReader's typed access and errors.
#include "config/reader.h"

#include <doctest/doctest.h>

#include <functional>

namespace attnsim::config {

namespace {
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const UserError& error) {
    return error.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("parse_document") {
  SUBCASE("nodes carry file:line:col") {
    const Node doc = parse_document("a: 1\nb:\n  c: 2\n", "f.yaml");
    REQUIRE(doc.find("b") != nullptr);
    const Node* c = doc.find("b")->find("c");
    REQUIRE(c != nullptr);
    CHECK(c->where.file == "f.yaml");
    CHECK(c->where.line == 3);
    CHECK(c->where.column == 6);
  }
  SUBCASE("duplicate keys are errors naming the first occurrence") {
    CHECK(error_of([] { parse_document("a: 1\nb: 2\na: 3\n", "f.yaml"); }) ==
          "f.yaml:3:1: a: expected each key once, found a duplicate key (first given at line 1)");
  }
  SUBCASE("syntax errors point at the position") {
    CHECK(error_of([] { parse_document("a: [1, 2\n", "f.yaml"); }).starts_with("f.yaml:"));
  }
  SUBCASE("quoted scalars are marked") {
    const Node doc = parse_document("a: '12'\nb: 12\n", "f.yaml");
    CHECK(doc.find("a")->quoted);
    CHECK_FALSE(doc.find("b")->quoted);
  }
  SUBCASE("nesting is bounded") {
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    CHECK(error_of([&] { parse_document(deep, "f.yaml"); }).find("levels of nesting") !=
          std::string::npos);
  }
}

TEST_CASE("MapReader") {
  const Node doc = parse_document(
      "n_heads: 16\nzero: 0\nneg: -4\ntext: abc\nfrac: 2.5\nquoted: '8'\nflag: yes\n", "m.yaml");
  MapReader reader(doc, "mixers.attn");
  SUBCASE("typed values") { CHECK(reader.required_positive("n_heads") == 16); }
  SUBCASE("zero is not a size") {
    CHECK(error_of([&] { reader.required_positive("zero"); }) ==
          "m.yaml:2:7: mixers.attn.zero: expected a positive whole number, found '0' (sizes must "
          "be at least 1)");
  }
  SUBCASE("negative sizes") {
    CHECK(error_of([&] { reader.required_positive("neg"); }).find("sizes cannot be negative") !=
          std::string::npos);
  }
  SUBCASE("fractions and quoted numbers are not counts") {
    CHECK_THROWS_AS(reader.required_positive("frac"), UserError);
    CHECK_THROWS_AS(reader.required_positive("quoted"), UserError);
    CHECK_THROWS_AS(reader.required_positive("text"), UserError);
  }
  SUBCASE("booleans are true/false only") {
    CHECK(error_of([&] { reader.optional_bool("flag", false); }) ==
          "m.yaml:7:7: mixers.attn.flag: expected true or false, found 'yes'");
  }
  SUBCASE("missing required key") {
    CHECK(error_of([&] { reader.required_positive("n_kv_heads"); }) ==
          "m.yaml:1:1: mixers.attn.n_kv_heads: expected a positive whole number, found no such "
          "key (add 'n_kv_heads:' to this map)");
  }
  SUBCASE("unknown keys get a did-you-mean") {
    const Node typo = parse_document("n_heads: 16\nn_kv_head: 2\n", "m.yaml");
    MapReader r(typo, "mixers.attn");
    r.required_positive("n_heads");
    r.optional_positive("n_kv_heads");
    CHECK(error_of([&] { r.finish(); }) ==
          "m.yaml:2:1: mixers.attn.n_kv_head: expected a known key, found an unknown key (did "
          "you mean n_kv_heads?)");
  }
  SUBCASE("numbers must be finite") {
    const Node nan = parse_document("x: .nan\ny: 1e400\n", "m.yaml");
    MapReader r(nan, "");
    CHECK_THROWS_AS(r.required_number("x"), UserError);
    CHECK_THROWS_AS(r.required_number("y"), UserError);
  }
}

TEST_CASE("MapReader::for_each_item") {
  const Node doc = parse_document("rules:\n  - a\n  - {b: 2}\nscalar: 3\n", "e.yaml");
  MapReader reader(doc, "engine");
  SUBCASE("each item with its path, in order") {
    std::vector<std::string> seen;
    reader.for_each_item("rules", "a list of rules",
                         [&](const Node& item, const std::string& path) {
                           seen.push_back(path + (item.is_map() ? " map" : " " + item.scalar));
                         });
    CHECK(seen == std::vector<std::string>{"engine.rules[0] a", "engine.rules[1] map"});
  }
  SUBCASE("an absent key reads nothing") {
    int calls = 0;
    reader.for_each_item("absent", "a list", [&](const Node&, const std::string&) { ++calls; });
    CHECK(calls == 0);
  }
  SUBCASE("a value that is not a list is located") {
    CHECK(error_of([&] {
            reader.for_each_item("scalar", "a list of rules",
                                 [](const Node&, const std::string&) {});
          }) == "e.yaml:4:9: engine.scalar: expected a list of rules, found '3'");
  }
}

TEST_CASE("merge_documents") {
  const Node base = parse_document("a: {x: 1, y: 2}\nm: {kind: k1, p: 1}\n", "base.yaml");
  const Node patch = parse_document("a: {y: 3}\nm: {kind: k2, q: 2}\n", "child.yaml");
  const Node merged = merge_documents(base, patch);
  SUBCASE("maps merge key by key and keep each value's file") {
    CHECK(merged.find("a")->find("x")->scalar == "1");
    CHECK(merged.find("a")->find("x")->where.file == "base.yaml");
    CHECK(merged.find("a")->find("y")->scalar == "3");
    CHECK(merged.find("a")->find("y")->where.file == "child.yaml");
  }
  SUBCASE("a map naming kind: replaces the parent's map") {
    CHECK(merged.find("m")->find("p") == nullptr);
    CHECK(merged.find("m")->find("q")->scalar == "2");
  }
}

TEST_CASE("closest_match") {
  CHECK(closest_match("n_kv_head", {"n_heads", "n_kv_heads", "head_dim"}) == "n_kv_heads");
  CHECK(closest_match("zzzzzz", {"n_heads", "head_dim"}).empty());
}

TEST_CASE("did_you_mean") {
  SUBCASE("a prefix names the one match, not the nearest by edit distance") {
    // Edit distance alone picks h200 for h100 (one substitution); the user meant h100-sxm.
    CHECK(did_you_mean("h100", {"a100-80gb", "h100-sxm", "h200"}) == "did you mean h100-sxm?");
    CHECK(did_you_mean("QWEN3-next", {"qwen3-8b", "qwen3-next-80b-a3b"}) ==
          "did you mean qwen3-next-80b-a3b?");
  }
  SUBCASE("prefix matches before substring matches, at most six listed") {
    CHECK(did_you_mean("fp4", {"fp64", "nvfp4", "fp4x", "mxfp4"}) ==
          "did you mean one of fp4x, nvfp4, mxfp4?");
    // One letter is too short to be a prefix worth naming.
    CHECK(did_you_mean("h", {"h200", "h100-sxm"}) == "known: h100-sxm, h200");
    CHECK(did_you_mean("ab", {"ab1", "ab2", "ab3", "ab4", "ab5", "ab6", "ab7", "ab8"}) ==
          "did you mean one of ab1, ab2, ab3, ab4, ab5, ab6 (and 2 more)?");
  }
  SUBCASE("else the nearest by edit distance, else every candidate") {
    CHECK(did_you_mean("fp9", {"fp32", "fp8"}) == "did you mean fp8?");
    CHECK(did_you_mean("zzzzzz", {"b", "a"}) == "known: a, b");
  }
}

TEST_CASE("MapReader::require names a misspelt key beside the missing one") {
  const Node document = parse_document("attn: {n_heads: 8, n_kv_head: 2}\n", "x.yaml");
  MapReader reader(*document.find("attn"), "attn");
  CHECK(reader.required_positive("n_heads") == 8);
  try {
    reader.required_positive("n_kv_heads");
    FAIL("expected a UserError");
  } catch (const UserError& error) {
    const std::string message = error.what();
    CHECK(message.find("attn.n_kv_heads: expected a positive whole number, found no such key") !=
          std::string::npos);
    CHECK(message.find("unknown key 'n_kv_head' at x.yaml:1:20: did you mean n_kv_heads?") !=
          std::string::npos);
  }
}

}  // namespace attnsim::config
