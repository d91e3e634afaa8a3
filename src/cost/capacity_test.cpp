// Start-up capacity (cost/capacity.h): vLLM's pool arithmetic and the paper minimum's, worked by
// hand for a dense model and a hybrid one under tensor parallelism.
#include "cost/capacity.h"

#include <doctest/doctest.h>

#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("vllm_capacity and paper_capacity") {
  const EngineProfile vllm = load_engine_profile("vllm");
  SUBCASE("Llama 3 8B on one H100: one group of 32 full-attention layers") {
    const auto arch = load_architecture("llama-3-8b");
    CapacityOptions options;
    options.max_model_len = 8192;
    const Hardware h100 = load_hardware("h100-sxm");
    // weights 8,030,261,248 × 2 B = 16,060,522,496; 0.9 × 80 GB = 72,000,000,000;
    // budget = 55,939,477,504
    const auto mine = vllm_capacity(arch, h100, vllm, options);
    REQUIRE(mine);
    CHECK(mine->weight_bytes == 16060522496ull);
    CHECK(mine->budget_bytes == 55939477504ull);
    // page = 16 tokens × 2 × 8 heads × 128 × 2 B = 65,536 B; g = 32 layers:
    // ⌊55,939,477,504 / 65,536 / 32⌋ = 26,674 blocks; a request of 8,192 tokens needs 512
    CHECK(mine->num_blocks == 26674);
    CHECK(mine->blocks_per_request == 512);
    // "GPU KV cache size: 426,784 tokens" (26,674 / 512 × 8,192),
    // "Maximum concurrency for 8,192 tokens per request: 52.10x" (26,674 / 512 = 52.0977)
    CHECK(mine->tokens == 426784);
    CHECK(mine->max_concurrency == doctest::Approx(52.09765625));
    // paper: 32 × 2 × 8 × 128 × 2 B = 131,072 B per token → 55,939,477,504 / 131,072 = 426,784
    // tokens (the same here: 8,192 is a whole number of pages)
    const auto paper = paper_capacity(arch, h100, options);
    CHECK(paper.tokens == 426784);
    CHECK(paper.max_concurrency == doctest::Approx(52.0976982));
  }
  SUBCASE("Qwen3-Next on four H200s: unified pages, a state page per request per group") {
    const auto arch = load_architecture("qwen3-next-80b-a3b");
    CapacityOptions options;
    options.tp = 4;
    options.max_model_len = 32768;
    const Hardware h200 = load_hardware("h200");
    // weights 79,674,391,296 × 2 B / 4 = 39,837,195,648 per rank; 0.9 × 141 GB = 126.9 GB;
    // budget 87,062,804,352
    const auto mine = vllm_capacity(arch, h200, vllm, options);
    REQUIRE(mine);
    CHECK(mine->budget_bytes == 87062804352ull);
    // per rank: attention 1 of 2 KV heads (tp 4 > 2) → 2 × 256 × 2 B = 1,024 B per token;
    // GDN state a quarter (8 of 32 value heads): 1,097,728 / 4 = 274,432 B.
    // block = 16 × cdiv(274,432, 16 × 1,024) = 16 × 17 = 272 tokens, page 278,528 B.
    // types: 12 attention and 36 GDN layers → g = 12, groups 1 + 3.
    // request of 32,768 tokens: cdiv(32,768, 272) = 121 attention pages + 3 state pages = 124
    // pool: ⌊87,062,804,352 / 278,528 / 12⌋ = 26,048 pages
    CHECK(mine->num_blocks == 26048);
    CHECK(mine->blocks_per_request == 124);
    CHECK(mine->max_concurrency == doctest::Approx(210.0645161));
    CHECK(mine->tokens == 6883394);  // ⌊26,048 × 32,768 / 124⌋
    // paper, per rank: 12 × 1,024 × 32,768 + 36 × 274,432 = 412,532,736 B per request
    const auto paper = paper_capacity(arch, h200, options);
    CHECK(paper.tokens == 6915509);  // ⌊87,062,804,352 × 32,768 / 412,532,736⌋
  }
  SUBCASE("weights that do not fit leave no budget") {
    CapacityOptions options;
    options.max_model_len = 4096;
    const auto paper =
        paper_capacity(load_architecture("qwen3-next-80b-a3b"), load_hardware("a10g"), options);
    CHECK(paper.budget_bytes == 0);
    CHECK(paper.tokens == 0);
  }
  SUBCASE("capacity prints vLLM's two start-up lines") {
    const auto result = testing::run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "-c", "8192"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("GPU KV cache size: 426,784 tokens") != std::string::npos);
    CHECK(result.out.find("Maximum concurrency for 8,192 tokens per request: 52.10x") !=
          std::string::npos);
  }
}

}  // namespace attnsim
