// Tests of the layer-pattern forms and their errors.
#include "graph/pattern.h"

#include <doctest/doctest.h>

#include "core/error.h"

namespace attnsim {

namespace {
std::vector<std::string> expand(const std::string& yaml, std::uint64_t n_layers) {
  const config::Node doc = config::parse_document("p: " + yaml + "\n", "p.yaml");
  return expand_sequence(*doc.find("p"), "layers.mixer", n_layers);
}
}  // namespace

TEST_CASE("expand_sequence") {
  SUBCASE("a single name fills every layer") {
    CHECK(expand("attn", 3) == std::vector<std::string>{"attn", "attn", "attn"});
  }
  SUBCASE("repeat cycles and may cut the last cycle (Gemma 3 27B: 62 layers, period 6)") {
    const auto names = expand("{repeat: [l, l, l, l, l, g]}", 62);
    REQUIRE(names.size() == 62);
    std::vector<std::size_t> globals;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == "g") globals.push_back(i);
    // (i + 1) % 6 == 0: 5, 11, ..., 59 — ten global layers; 60 and 61 slide.
    CHECK(globals == std::vector<std::size_t>{5, 11, 17, 23, 29, 35, 41, 47, 53, 59});
  }
  SUBCASE("list needs one name per layer") {
    CHECK(expand("{list: [a, b, a]}", 3) == std::vector<std::string>{"a", "b", "a"});
    CHECK_THROWS_WITH_AS(expand("{list: [a, b]}", 3),
                         "p.yaml:1:11: layers.mixer.list: expected one name per layer (3 names, "
                         "model.n_layers), found 2 names (use repeat: for a cycle, or fix "
                         "model.n_layers)",
                         UserError);
  }
  SUBCASE("index lists, 1-based (Kimi Linear full_attn_layers)") {
    const auto names = expand("{default: kda, at: {mla: [4, 8]}, index_base: 1}", 9);
    CHECK(names ==
          std::vector<std::string>{"kda", "kda", "kda", "mla", "kda", "kda", "kda", "mla", "kda"});
  }
  SUBCASE("index out of range names the allowed range") {
    CHECK_THROWS_WITH_AS(expand("{default: a, at: {b: [0, 9]}}", 9),
                         doctest::Contains("expected a layer index from 0 to 8 (0-based), found 9"),
                         UserError);
    CHECK_THROWS_WITH_AS(expand("{default: a, at: {b: [0]}, index_base: 1}", 9),
                         doctest::Contains("from 1 to 9 (1-based), found 0"), UserError);
  }
  SUBCASE("a layer in two lists") {
    CHECK_THROWS_WITH_AS(expand("{default: a, at: {b: [1], c: [1]}}", 3),
                         doctest::Contains("also listed under 'b'"), UserError);
  }
  SUBCASE("unknown form") {
    CHECK_THROWS_WITH_AS(expand("{cycle: [a]}", 3),
                         doctest::Contains("expected a name, or a map with repeat:"), UserError);
  }
}

TEST_CASE("expand_letter_pattern") {
  const config::Node doc = config::parse_document(
      "pattern: M-M*E\nletters: {M: {mixer: m}, '-': {ffn: mlp}, '*': {mixer: a}, E: {ffn: moe}}\n",
      "p.yaml");
  SUBCASE("each letter is a whole layer") {
    const LayerSlots slots =
        expand_letter_pattern(*doc.find("pattern"), *doc.find("letters"), "layers", 5);
    CHECK(slots.mixers == std::vector<std::string>{"m", "none", "m", "a", "none"});
    CHECK(slots.ffns == std::vector<std::string>{"none", "mlp", "none", "none", "moe"});
  }
  SUBCASE("length must equal n_layers") {
    CHECK_THROWS_WITH_AS(
        expand_letter_pattern(*doc.find("pattern"), *doc.find("letters"), "layers", 6),
        doctest::Contains("one letter per layer (6, model.n_layers), found 5 letters"), UserError);
  }
  SUBCASE("undefined letter") {
    const config::Node bad =
        config::parse_document("pattern: MX\nletters: {M: {mixer: m}}\n", "p.yaml");
    CHECK_THROWS_WITH_AS(
        expand_letter_pattern(*bad.find("pattern"), *bad.find("letters"), "layers", 2),
        doctest::Contains("'X' at position 2 (layer 1)"), UserError);
  }
}

}  // namespace attnsim
