// End-to-end tests of `attnsim plot` and `attnsim compare`: the files written beside a figure,
// the exit code and note when gnuplot is missing, and the comparison table's figures.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "report/plot_render.h"
#include "tests/support.h"

namespace attnsim {

using testing::run;
using testing::ScratchDir;

namespace {
std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};
}  // namespace

TEST_CASE("run_plot: files beside the figure") {
  ScratchDir dir;
  SUBCASE("memory: CSV of KV/state/total per context and a script that reads it") {
    const auto image = dir.path() / "mem.svg";
    const auto result =
        run({"plot", "memory", "llama-3-8b", "--context", "1k:4k", "-o", image.string()});
    const std::string csv = read(dir.path() / "mem.svg.csv");
    // Llama 3 8B: 32 layers × 2 (k,v) × 8 kv heads × 128 × 2 bytes = 131,072 bytes/token;
    // at 4K: 131072 × 4096 = 2^29 bytes = 0.5 GiB.
    CHECK(csv.find("4096,0.500000,0.000000,0.500000\n") != std::string::npos);
    CHECK(csv.find("1024,0.125000,") != std::string::npos);
    const std::string script = read(dir.path() / "mem.svg.gp");
    CHECK(script.find("'mem.svg.csv'") != std::string::npos);
    CHECK(script.find("set xtics ('1K' 1024, '2K' 2048, '4K' 4096)") != std::string::npos);
    if (report::find_gnuplot()) {
      CHECK(result.exit_code == 0);
      CHECK(read(image).find("<svg") != std::string::npos);
    }
  }
  SUBCASE("layers: one CSV line per layer with its kind") {
    const auto image = dir.path() / "layers.png";
    run({"plot", "layers", "gemma-3-1b", "-o", image.string()});
    const std::string csv = read(dir.path() / "layers.png.csv");
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 26);  // header + 26 layers
    CHECK(read(dir.path() / "layers.png.gp").find("5:1 local : global (22:4 layers)") !=
          std::string::npos);
  }
  SUBCASE("gnuplot missing: data and script written, install hint, exit 4") {
    ScopedEnv no_gnuplot("ATTNSIM_GNUPLOT", "");
    const auto image = dir.path() / "mem.pdf";
    const auto result = run({"plot", "memory", "llama-3-8b", "-o", image.string()});
    CHECK(result.exit_code == 4);
    CHECK(std::filesystem::exists(dir.path() / "mem.pdf.csv"));
    CHECK(std::filesystem::exists(dir.path() / "mem.pdf.gp"));
    CHECK(!std::filesystem::exists(image));
  }
  SUBCASE("gnuplot failing half-way: the old image kept, no partial file or temporary") {
    // A stand-in gnuplot (argv: -d -e "outfile='NAME'" SCRIPT) that writes half an image, fails.
    const auto fake = dir.write(
        "fake-gnuplot", "#!/bin/sh\neval \"$3\"\nprintf '%%PDF-1.5 half' > \"$outfile\"\nexit 3\n");
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    ScopedEnv failing("ATTNSIM_GNUPLOT", fake.c_str());
    const auto image = dir.path() / "mem.pdf";
    std::ofstream(image) << "old image";
    const auto result = run({"plot", "memory", "llama-3-8b", "-o", image.string()});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("gnuplot failed on") != std::string::npos);
    CHECK(read(image) == "old image");
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names ==
          std::vector<std::string>{"fake-gnuplot", "mem.pdf", "mem.pdf.csv", "mem.pdf.gp"});
  }
  SUBCASE("mem.svg and mem.png (--stacked) keep their own data and scripts") {
    run({"plot", "memory", "llama-3-8b", "--context", "1k:2k", "-o",
         (dir.path() / "mem.svg").string()});
    run({"plot", "memory", "llama-3-8b", "--context", "1k:2k", "--stacked", "-o",
         (dir.path() / "mem.png").string()});
    CHECK(read(dir.path() / "mem.svg.gp").find("'mem.svg.csv' using 1:4") != std::string::npos);
    CHECK(read(dir.path() / "mem.png.gp").find("filledcurves") != std::string::npos);
    CHECK(read(dir.path() / "mem.svg.gp").find("filledcurves") == std::string::npos);
    CHECK(!std::filesystem::exists(dir.path() / "mem.csv"));
  }
  SUBCASE("--all: a note names the highlighted models; --highlight checks its names") {
    const auto result = run(
        {"plot", "memory", "--all", "--context", "1k:2k", "-o", (dir.path() / "all.svg").string()});
    CHECK(result.err.find("drawn in colour (smallest to largest at 2K)") != std::string::npos);
    CHECK(read(dir.path() / "all.svg.gp").find("other models (grey)") != std::string::npos);
    CHECK(run({"plot", "memory", "llama-3-8b", "--highlight", "lama-3-8b", "-o",
               (dir.path() / "h.svg").string()})
              .err.find("did you mean llama-3-8b?") != std::string::npos);
  }
  SUBCASE("--hw: capacity minus the weights, in the key; a warning when weights alone overflow") {
    // Llama 3 8B: 8,030,261,248 parameters (model card: 8.03B) × 2 bytes (bf16) =
    // 16,060,522,496 B = 14.96 GiB. H100 SXM: 80 × 10^9 B. Left: (80e9 − 16,060,522,496) / 2^30
    // = 59.548279 GiB; with --tp 2: (160e9 − 16,060,522,496) / 2^30 = 134.054085 GiB.
    auto result = run({"plot", "memory", "llama-3-8b", "--context", "1k:2k", "--hw", "h100-sxm",
                       "-o", (dir.path() / "cap.svg").string()});
    std::string script = read(dir.path() / "cap.svg.gp");
    CHECK(script.find("59.548279 title 'NVIDIA H100 SXM 80GB − bf16 weights (15.0 GiB)'") !=
          std::string::npos);
    result = run({"plot", "memory", "llama-3-8b", "--context", "1k:2k", "--hw", "h100-sxm", "--tp",
                  "2", "--stacked", "-o", (dir.path() / "cap2.svg").string()});
    CHECK(read(dir.path() / "cap2.svg.gp")
              .find("134.054085 title '2 × NVIDIA H100 SXM 80GB − bf16 weights (15.0 GiB)'") !=
          std::string::npos);
    // Qwen3-Next 80B-A3B: about 80B parameters × 2 bytes > 80 GB = 74.5 GiB.
    result = run({"plot", "memory", "qwen3-next-80b-a3b", "--context", "1k:2k", "--hw", "h100-sxm",
                  "-o", (dir.path() / "cap3.svg").string()});
    CHECK(result.err.find("Qwen3-Next 80B-A3B weights alone (bf16, ") != std::string::npos);
    CHECK(result.err.find("do not fit in NVIDIA H100 SXM 80GB (74.5 GiB)") != std::string::npos);
    CHECK(read(dir.path() / "cap3.svg.gp").find("NaN title 'bf16 weights (") != std::string::npos);
    // The same warning from plot decode, which still draws the model.
    result = run({"plot", "decode", "qwen3-next-80b-a3b", "--context", "1k", "--hw", "h100-sxm",
                  "-o", (dir.path() / "dec.svg").string()});
    CHECK(result.err.find("do not fit in NVIDIA H100 SXM 80GB (74.5 GiB)") != std::string::npos);
    CHECK(std::filesystem::exists(dir.path() / "dec.svg.csv"));
  }
  SUBCASE("mistakes: exit 2 with a clear message") {
    CHECK(run({"plot", "memory", "llama-3-8b", "-o", "x.jpg"}).err.find(".svg, .png or .pdf") !=
          std::string::npos);
    CHECK(run({"plot", "memry", "llama-3-8b", "-o", "x.svg"}).err.find("did you mean memory?") !=
          std::string::npos);
    CHECK(run({"plot", "memory", "llama-3-8b", "--hw", "no-such-gpu", "-o",
               (dir.path() / "m.svg").string()})
              .exit_code == 2);
    CHECK(run({"plot", "memory", "llama-3-8b", "--context", "5:7", "-o", "x.svg"})
              .err.find("at least one power of two") != std::string::npos);
    CHECK(run({"plot", "layers", "llama-3-8b"}).err.find("-o") != std::string::npos);
  }
  SUBCASE("the same figure twice gives the same bytes, PDF included") {
    if (report::find_gnuplot()) {
      for (const char* name : {"a.pdf", "b.pdf", "a.png", "b.png", "a.svg", "b.svg"})
        CHECK(run({"plot", "layers", "gemma-3-1b", "-o", (dir.path() / name).string()}).exit_code ==
              0);
      // cairo 1.16 stamps the wall-clock time; attnsim rewrites it to the epoch.
      CHECK(read(dir.path() / "a.pdf").find("/CreationDate (D:19700101000000Z)") !=
            std::string::npos);
      CHECK(read(dir.path() / "a.pdf") == read(dir.path() / "b.pdf"));
      CHECK(read(dir.path() / "a.png") == read(dir.path() / "b.png"));
      CHECK(read(dir.path() / "a.svg") == read(dir.path() / "b.svg"));
    }
  }
  SUBCASE("no temporary files are left behind") {
    run({"plot", "layers", "gemma-3-1b", "-o", (dir.path() / "l.svg").string()});
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE("warn_beyond_max_context") {
  // Llama 3 8B: max_context 8,192 (its config's max_position_embeddings).
  SUBCASE("kv: a warning on stderr, the context past it starred in the table") {
    const auto result = run({"kv", "llama-3-8b", "--context", "4k,16k", "--no-breakdown"});
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("llama-3-8b: contexts up to 16K go past its max_context 8K (8,192 "
                          "tokens)") != std::string::npos);
    CHECK(result.out.find(" 16K* ") != std::string::npos);
    CHECK(result.out.find(" 4K* ") == std::string::npos);
    const auto quiet = run({"kv", "llama-3-8b", "--context", "4k,16k", "--no-breakdown",
                            "--allow-beyond-max-context"});
    CHECK(quiet.err.find("max_context") == std::string::npos);
  }
  SUBCASE("within max_context: no warning") {
    CHECK(run({"kv", "llama-3-8b", "--context", "8k"}).err.find("max_context") ==
          std::string::npos);
  }
  SUBCASE("compare, flops, roofline and capacity warn too") {
    // 16K × 131,072 B/token = 2 GiB, starred.
    const auto compare = run({"compare", "llama-3-8b", "--context", "16k"});
    CHECK(compare.out.find("2.000*") != std::string::npos);
    CHECK(compare.err.find("past its max_context 8K") != std::string::npos);
    CHECK(run({"flops", "llama-3-8b", "--prefill", "4k", "--decode-at", "32k"})
              .err.find("contexts up to 32K go past its max_context 8K") != std::string::npos);
    CHECK(run({"roofline", "llama-3-8b", "--hw", "h100-sxm", "--context", "16k"})
              .err.find("past its max_context 8K") != std::string::npos);
    CHECK(run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "--context", "16k"})
              .err.find("past its max_context 8K") != std::string::npos);
  }
  SUBCASE("plot memory: solid up to 8K, dotted with open points from 8K on") {
    ScratchDir dir;
    run({"plot", "memory", "llama-3-8b", "--context", "4k:16k", "-o",
         (dir.path() / "m.svg").string()});
    const std::string script = read(dir.path() / "m.svg.gp");
    CHECK(script.find("using 1:($1 <= 8192 ? column(4) : NaN) title 'Llama 3 8B'") !=
          std::string::npos);
    CHECK(script.find("'' using 1:($1 >= 8192 ? column(4) : NaN) notitle with linespoints lt 1 "
                      "dt 3 pt 6") != std::string::npos);
    CHECK(script.find("NaN title 'dotted, open: past max_context'") != std::string::npos);
  }
}

TEST_CASE("run_compare") {
  SUBCASE("Qwen3-Next vs Llama 3 8B at 128K, markdown") {
    const auto result =
        run({"compare", "qwen3-next-80b-a3b", "llama-3-8b", "--context", "128k", "-f", "markdown"});
    CHECK(result.exit_code == 0);
    // Qwen3-Next at 128K: KV 24,576 × 131,072 = 3 GiB, + state 39,518,208 B = 0.0368 GiB →
    // 3.037 GiB. Full attention everywhere: 48 × 2 × 2 × 256 × 2 = 98,304 B/token → 12 GiB;
    // saving 1 − 3.0368 / 12 = 74.7%.
    CHECK(result.out.find("| qwen3-next-80b-a3b | 3:1 Gated DeltaNet : gated attention | 36:12 "
                          "| 25.0% |") != std::string::npos);
    CHECK(result.out.find("| 3.037 | 74.7% |") != std::string::npos);
    // Llama 3 8B: 131,072 B/token × 131,072 = 16 GiB, no saving; 128K is past its max_context
    // (8K), so the value is starred.
    CHECK(result.out.find("| 16.000* | 0.0% |") != std::string::npos);
  }
  SUBCASE("json has exact bytes") {
    const auto result = run({"compare", "llama-3-8b", "--context", "1k", "-f", "json"});
    CHECK(result.out.find("\"total_bytes\": 134217728") != std::string::npos);  // 131072 × 1024
  }
}

}  // namespace attnsim
