// Tests of the memory and layer figures: layer-kind colours (distinct, in lightness tiers that
// survive greyscale), the log memory axis, the state band's value, identical series drawn once,
// crowded figures with grey background lines, and sweep key titles.
#include "report/plot.h"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "graph/load.h"
#include "report/palette.h"

namespace attnsim::report {

namespace {
// WCAG 2 relative luminance of "#RRGGBB", written out independently of the palette.
double luminance(const std::string& hex) {
  const auto channel = [&](int at) {
    const double c = std::stoi(hex.substr(static_cast<std::size_t>(at), 2), nullptr, 16) / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

Architecture registry(const std::string& name) {
  return load_architecture_file(resolve_architecture(name));
}

// A report with the given totals (bytes) at contexts 1K, 2K; state bytes as given.
MemoryReport report(const std::string& name, std::uint64_t total_1k, std::uint64_t total_2k,
                    std::uint64_t state = 0) {
  MemoryReport r;
  r.name = name;
  for (const auto& [context, total] : {std::pair{1024, total_1k}, std::pair{2048, total_2k}}) {
    MemoryRow row;
    row.context = static_cast<std::uint64_t>(context);
    row.batch = 1;
    row.state_bytes = state;
    row.kv_bytes = total - state;
    row.total_bytes = total;
    r.rows.push_back(row);
  }
  return r;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("layer_kind_colour") {
  const std::vector<std::pair<std::string, CacheGrowth>> known{
      {"gated_deltanet", CacheGrowth::recurrent},
      {"mamba2", CacheGrowth::recurrent},
      {"kda", CacheGrowth::recurrent},
      {"lightning", CacheGrowth::recurrent},
      {"mamba1", CacheGrowth::recurrent},
      {"mamba3", CacheGrowth::recurrent},
      {"rg_lru", CacheGrowth::recurrent},
      {"rwkv7", CacheGrowth::recurrent},
      {"mlstm", CacheGrowth::recurrent},
      {"short_conv", CacheGrowth::recurrent},
      {"gmu", CacheGrowth::recurrent},
      {"sliding_attn", CacheGrowth::local},
      {"sliding_diff_attn", CacheGrowth::local},
      {"swa_mqa", CacheGrowth::local},
      {"gated_sliding_attn", CacheGrowth::local},
      {"chunked_attn", CacheGrowth::local},
      {"full_attn", CacheGrowth::global},
      {"nope_attn", CacheGrowth::global},
      {"gated_attn", CacheGrowth::global},
      {"mla", CacheGrowth::global},
      {"dsa", CacheGrowth::global},
      {"parallel_hybrid", CacheGrowth::global},
      {"diff_attn", CacheGrowth::global},
      {"csa", CacheGrowth::global},
      {"hca", CacheGrowth::global}};
  SUBCASE("every shipped kind has its own colour") {
    std::set<std::string> colours;
    for (const auto& [kind, growth] : known) colours.insert(layer_kind_colour(kind, growth));
    CHECK(colours.size() == known.size());
    // The pairs the issue saw merge: Gated DeltaNet vs Mamba-2, sliding window vs MLA.
    CHECK(layer_kind_colour("gated_deltanet", CacheGrowth::recurrent) !=
          layer_kind_colour("mamba2", CacheGrowth::recurrent));
    CHECK(layer_kind_colour("sliding_attn", CacheGrowth::local) !=
          layer_kind_colour("mla", CacheGrowth::global));
  }
  SUBCASE("greyscale: state light (> 0.35), windows medium, growing KV dark (< 0.1)") {
    for (const auto& [kind, growth] : known) {
      const double y = luminance(layer_kind_colour(kind, growth));
      CAPTURE(kind);
      if (growth == CacheGrowth::recurrent) CHECK(y > 0.35);
      if (growth == CacheGrowth::local) CHECK((y > 0.15 && y < 0.35));
      if (growth == CacheGrowth::global) CHECK(y < 0.1);
    }
    // #77AADD (Gated DeltaNet): 0.2126·0.184 + 0.7152·0.402 + 0.0722·0.723 = 0.379.
    CHECK(luminance(layer_kind_colour("gated_deltanet", CacheGrowth::recurrent)) ==
          doctest::Approx(0.379).epsilon(0.01));
    CHECK(luminance(kStateFill) > 0.35);
    CHECK(luminance(kKvFill) < 0.1);
  }
  SUBCASE("an unknown kind takes the first colour of its tier not yet taken") {
    const auto first = layer_kind_colour("new_linear", CacheGrowth::recurrent);
    CHECK(first == layer_kind_colour("gated_deltanet", CacheGrowth::recurrent));
    CHECK(layer_kind_colour("new_linear", CacheGrowth::recurrent, {first}) ==
          layer_kind_colour("mamba2", CacheGrowth::recurrent));
  }
}

TEST_CASE("layers_figure") {
  const auto files = layers_figure({registry("qwen3-next-80b-a3b"), registry("nemotron-h-56b"),
                                    registry("gemma-3-27b"), registry("kimi-linear-48b-a3b")},
                                   ImageFormat::png, "l.png.csv", "l.png");
  SUBCASE("each kind in the key once, with a different fill") {
    // Each key entry reads "title 'NAME' with boxxyerror fc rgb '#RRGGBB'". (A scan, not
    // std::regex: GCC 12 warns inside <regex> under the sanitizer build's -Werror.)
    const std::string& script = files.script;
    const std::string marker = "' with boxxyerror fc rgb '";
    std::set<std::string> titles, colours;
    for (auto at = script.find(marker); at != std::string::npos; at = script.find(marker, at + 1)) {
      const auto title_start = script.rfind("title '", at);
      REQUIRE(title_start != std::string::npos);
      titles.insert(script.substr(title_start + 7, at - title_start - 7));
      colours.insert(script.substr(at + marker.size(), 7));
    }
    // Gated DeltaNet, gated attention, Mamba-2, NoPE attention, sliding-window attention,
    // RoPE attention, KDA, MLA: eight kinds, eight colours; plus Nemotron-H's FFN-only layers.
    CHECK(titles.size() == 9);
    CHECK(colours.size() == 9);
  }
  SUBCASE("the key sits above the strips") {
    // 4 models, 9 key entries in at most 5 rows (two columns): height 130 + 78·4 + 26·5 = 572
    // px; key top 40 px down (1 − 40/572 = 0.9301), strips from 52 + 130 = 182 px down
    // (1 − 182/572 = 0.6818).
    CHECK(
        files.script.find("set key at screen 0.5, screen 0.9301 center top horizontal maxrows 5") !=
        std::string::npos);
    CHECK(files.script.find("set tmargin at screen 0.6818\n") != std::string::npos);
  }
}

TEST_CASE("memory_figure") {
  SUBCASE("memory vs context: logarithmic y axis by default, said in the label") {
    const auto files = memory_figure({report("a", 1 << 20, 1 << 21)}, {"A"}, {}, ImageFormat::svg,
                                     "m.svg.csv", "m.svg");
    CHECK(files.script.find("set logscale y 10\n") != std::string::npos);
    CHECK(files.script.find("log scale)") != std::string::npos);
  }
  SUBCASE("stacked: the state's value in the key; no state entry without state") {
    MemoryPlotOptions options;
    options.stacked = true;
    // State 39,518,208 B (Qwen3-Next's) = 39,518,208 / 2^30 = 0.0368 GiB → "0.037 GiB".
    const auto files =
        memory_figure({report("q", 39518208 + (1 << 30), 39518208 + (1u << 31), 39518208),
                       report("l", 1 << 30, 1u << 31)},
                      {"Q", "L"}, options, ImageFormat::svg, "m.svg.csv", "m.svg");
    CHECK(files.script.find("'recurrent + conv state: 0.037 GiB'") != std::string::npos);
    CHECK(count(files.script, "recurrent + conv state") == 1);  // not in L's panel
    CHECK(count(files.script, "title 'KV cache'") == 2);
    CHECK(files.script.find("set logscale y") == std::string::npos);
  }
  SUBCASE("a series equal to an earlier one is drawn once, titled with both names") {
    const auto files =
        memory_figure({report("base", 100, 200), report("other", 50, 60), report("same", 100, 200)},
                      {"Base", "Other", "Same"}, {}, ImageFormat::svg, "m.svg.csv", "m.svg");
    CHECK(files.script.find("title 'Base = Same'") != std::string::npos);
    CHECK(count(files.script, "with linespoints") == 2);
  }
  SUBCASE("more than 8 series: 6 spread in colour, the rest grey under one key entry") {
    std::vector<MemoryReport> reports;
    std::vector<std::string> titles;
    for (int i = 0; i < 11; ++i) {  // totals 10..110 at 2K, names m0..m10
      reports.push_back(report("m" + std::to_string(i), 1, 10 * (i + 1)));
      titles.push_back("M" + std::to_string(i));
    }
    const auto files = memory_figure(reports, titles, {}, ImageFormat::svg, "m.svg.csv", "m.svg");
    CHECK(count(files.script, "with linespoints") == 6);
    CHECK(count(files.script, "lc rgb '#BBBBBB'") == 5);
    CHECK(files.script.find("title '5 other models (grey)'") != std::string::npos);
    CHECK(files.script.find("set key outside right") != std::string::npos);
    // Sorted by total at 2K, picks at k·10/5 = 0, 2, 4, 6, 8, 10.
    CHECK(spread_highlights(reports, 6) ==
          std::vector<std::string>{"m0", "m2", "m4", "m6", "m8", "m10"});
  }
  SUBCASE("chosen highlights") {
    MemoryPlotOptions options;
    options.highlight = {"b"};
    const auto files = memory_figure({report("a", 1, 2), report("b", 3, 4)}, {"A", "B"}, options,
                                     ImageFormat::svg, "m.svg.csv", "m.svg");
    CHECK(files.script.find("title 'B' with linespoints") != std::string::npos);
    CHECK(files.script.find("title '1 other models (grey)'") != std::string::npos);
  }
}

TEST_CASE("solid_until") {
  const std::vector<std::uint64_t> contexts{1024, 2048, 4096};
  CHECK(solid_until(contexts, 3000) == std::optional<std::uint64_t>(2048));  // last ≤ 3000
  CHECK(solid_until(contexts, 4096) == std::nullopt);                        // all within
  CHECK(solid_until(contexts, std::nullopt) == std::nullopt);
  CHECK(solid_until(contexts, 512) == std::optional<std::uint64_t>(0));  // none within
}

TEST_CASE("sweep_titles") {
  Architecture base, variant, other;
  base.display_name = "Qwen3-Next 80B-A3B";
  variant.display_name = "Qwen3-Next 80B-A3B (linear_ratio=7:1)";
  other.display_name = "Llama 3 8B";
  CHECK(sweep_titles({base, variant, other}) ==
        std::vector<std::string>{"Qwen3-Next 80B-A3B (base)", "linear_ratio=7:1", "Llama 3 8B"});
  CHECK(sweep_titles({other}) == std::vector<std::string>{"Llama 3 8B"});
}

}  // namespace attnsim::report
