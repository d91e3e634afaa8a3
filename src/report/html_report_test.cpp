// Tests of `attnsim report` pages: each figure's own alt text and caption, the side files named
// after the full image name, and a page that reads at phone width (viewport, scrolling tables).
#include "report/html_report.h"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/support.h"

namespace attnsim::report {

namespace {
std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("generate_report") {
  const testing::ScratchDir dir;
  const auto definition = dir.write("tiny.yaml", R"(title: Tiny
sections:
  - title: Two models
    architectures: [qwen3-next-80b-a3b, llama-3-8b]
    figures: [layers, memory, memory_stacked]
    contexts: "1k:4k"
    table: compare
    table_contexts: "4k"
)");
  const auto outcome = generate_report(definition, dir.path() / "out");
  const auto folder = dir.path() / "out" / "tiny";
  const std::string html = read(folder / "index.html");
  SUBCASE("every figure: its own alt text and a caption with its conventions") {
    std::set<std::string> alts;
    for (auto at = html.find("alt=\""); at != std::string::npos; at = html.find("alt=\"", at + 1))
      alts.insert(html.substr(at, html.find('"', at + 5) - at));
    CHECK(alts.size() == 3);
    std::size_t captions = 0;
    for (auto at = html.find("<figcaption>"); at != std::string::npos;
         at = html.find("<figcaption>", at + 1))
      ++captions;
    CHECK(captions == 3);
    CHECK(html.find("alt=\"Layer strips of Qwen3-Next 80B-A3B, Llama 3 8B") != std::string::npos);
    CHECK(html.find("both axes logarithmic, GiB = 2^30 bytes") != std::string::npos);
    CHECK(html.find("against context 1K to 4K") != std::string::npos);
  }
  SUBCASE("side files follow the image's full name") {
    CHECK(std::filesystem::exists(folder / "s1-memory.svg.csv"));
    CHECK(std::filesystem::exists(folder / "s1-memory_stacked.svg.gp"));
    CHECK(html.find("<a href=\"s1-memory.svg.csv\">data</a>") != std::string::npos);
  }
  SUBCASE("phone width: a viewport, and tables that scroll instead of squeezing") {
    CHECK(html.find("<meta name=\"viewport\" content=\"width=device-width") != std::string::npos);
    CHECK(html.find("<div class=\"table\"><table>") != std::string::npos);
    CHECK(html.find("div.table{overflow-x:auto") != std::string::npos);
    CHECK(html.find("td{white-space:nowrap}") != std::string::npos);
  }
  CHECK(outcome.files > 0);
}

}  // namespace attnsim::report
