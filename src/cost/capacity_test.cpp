// Start-up capacity (cost/capacity.h): vLLM's pool arithmetic and the paper minimum's, worked by
// hand for a dense model and a hybrid one under tensor parallelism.
#include "cost/capacity.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core/paths.h"
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
  SUBCASE("grouping: the largest type's count when it is under 1.5 × the smallest") {
    // gpt-oss-20b with its 24 layers laid out s f s f f (repeated): 10 sliding + 14 full layers.
    // kv_cache_utils.py @ 001cabc1: 14 < 1.5 × 10, so g = 14 (1.25 × 10 = 12.5 would give 10),
    // one group of each type. Page 16 × 2 × 8 × 64 × 2 B = 32,768 B; a budget of
    // 14 × 32,768 × 1,000 B holds 1,000 pages. L = 8,192, max_num_batched_tokens 8,192:
    // full cdiv(8,192, 16) = 512, sliding cdiv(min(127 + 8,192, 8,192), 16) + 1 = 513 pages
    testing::ScratchDir dir;
    std::ifstream in(source_dir() / "architectures" / "gpt-oss-20b.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text = text.substr(0, text.find("expect:"));
    const std::string old_mixer = "mixer: {repeat: [sliding, full]}";
    REQUIRE(text.find(old_mixer) != std::string::npos);
    text.replace(text.find(old_mixer), old_mixer.size(),
                 "mixer: {repeat: [sliding, full, sliding, full, full]}");
    const auto arch = load_architecture(dir.write("gpt-oss-5.yaml", text).string());
    CapacityOptions options;
    options.max_model_len = 8192;
    options.kv_memory_bytes = 14ull * 32768 * 1000;
    const auto mine = vllm_capacity(arch, load_hardware("h100-sxm"), vllm, options);
    REQUIRE(mine);
    CHECK(mine->groups == 2);
    CHECK(mine->num_blocks == 1000);
    CHECK(mine->blocks_per_request == 512 + 513);
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

TEST_CASE("sglang_capacity") {
  const EngineProfile sglang = load_engine_profile("sglang");
  SUBCASE("the default --mem-fraction-static: 1 − reserved MiB / GPU MiB") {
    // H100 (80e9 B = 76,293.95 MiB): 512 + 1.5 × 8,192 + 2 × 256 + 1,024 / 8 = 13,440 MiB;
    // (76,293.95 − 13,440) / 76,293.95 = 0.82384 → 0.824
    CHECK(sglang_default_memory_fraction(80'000'000'000ull, 1) == doctest::Approx(0.824));
    // tp 8 raises cuda_graph_max_bs to 512 and the parallel term to 1,024 MiB:
    // 512 + 12,288 + 1,024 + 1,024 = 14,848 MiB; (76,293.95 − 14,848) / 76,293.95 = 0.80538
    CHECK(sglang_default_memory_fraction(80'000'000'000ull, 8) == doctest::Approx(0.805));
    // A10G (24e9 B = 22,888 MiB): 512 + 3,072 + 48 + 128 = 3,760 (no 10 GiB floor below 60 GiB);
    // (22,888.18 − 3,760) / 22,888.18 = 0.83572 → 0.836
    CHECK(sglang_default_memory_fraction(24'000'000'000ull, 1) == doctest::Approx(0.836));
  }
  SUBCASE("Llama 3 8B on one H100: max_total_num_tokens = budget / cell") {
    CapacityOptions options;
    options.max_model_len = 8192;
    options.memory_fraction = 0.88;
    const auto mine = sglang_capacity(load_architecture("llama-3-8b"), load_hardware("h100-sxm"),
                                      sglang, options);
    REQUIRE(mine);
    // 0.88 × 80e9 − 16,060,522,496 B of weights = 54,339,477,504;
    // cell = 32 layers × 2 × 8 heads × 128 × 2 B = 131,072 B; ⌊54,339,477,504 / 131,072⌋
    CHECK(mine->budget_bytes == 54339477504ull);
    CHECK(mine->cell_bytes == 131072);
    CHECK(mine->tokens == 414577);
    // min(max(⌊414,577 / 8,192 × 512⌋ = 25,911, 2,048), 4,096)
    CHECK(mine->max_running_requests == 4096);
    CHECK(mine->max_concurrency == doctest::Approx(414577.0 / 8192));
    CHECK(mine->state_slots == 0);
  }
  SUBCASE("--reserved comes off the budget before the division") {
    CapacityOptions options;
    options.max_model_len = 8192;
    options.memory_fraction = 0.88;
    options.reserved_bytes = 1073741824;  // 1 GiB
    const auto mine = sglang_capacity(load_architecture("llama-3-8b"), load_hardware("h100-sxm"),
                                      sglang, options);
    REQUIRE(mine);
    CHECK(mine->tokens == 406385);  // ⌊(54,339,477,504 − 1,073,741,824) / 131,072⌋
  }
  SUBCASE("Qwen3-Next on four H200s: the state pool takes 0.9 / 1.9 of the budget first") {
    CapacityOptions options;
    options.tp = 4;
    options.max_model_len = 32768;
    options.memory_fraction = 0.9;
    const auto mine = sglang_capacity(load_architecture("qwen3-next-80b-a3b"),
                                      load_hardware("h200"), sglang, options);
    REQUIRE(mine);
    CHECK(mine->budget_bytes == 87062804352ull);  // as in vllm_capacity above
    // state per request and rank, 36 GDN layers: fp32 SSM 8 of 32 value heads × 128 × 128 × 4 B
    // = 524,288 and bf16 conv (2 × 16 × 128 + 32 × 128) / 4 channels × 3 × 2 B = 12,288:
    // 36 × 536,576 = 19,316,736 B. Pool ⌊87,062,804,352 × 0.9 / 1.9⌋ = 41,240,275,745 B holds
    // 2,134 requests' states; the rest, 45,840,889,728 B, over 12 attention layers × 1 KV head
    // (of 2, at tp 4) × 2 × 256 × 2 B = 12,288 B per token
    CHECK(mine->state_slots == 2134);
    CHECK(mine->cell_bytes == 12288);
    CHECK(mine->tokens == 3730541);
    CHECK(mine->max_running_requests == 711);  // 2,134 slots // 3 per running request
    CHECK(mine->max_concurrency == doctest::Approx(3730541.0 / 32768));
  }
  SUBCASE("gpt-oss-20b: a full pool and a window pool 0.8 times its size") {
    CapacityOptions options;
    options.max_model_len = 8192;
    options.memory_fraction = 0.9;
    const auto mine =
        sglang_capacity(load_architecture("gpt-oss-20b"), load_hardware("h200"), sglang, options);
    REQUIRE(mine);
    // 0.9 × 141e9 − 10,457,378,592 B of weights = 116,442,621,408 B; cell = 24 layers × 2 × 8
    // heads × 64 × 2 B = 49,152 B (12 full, 12 sliding): ⌊budget / cell⌋ = 2,369,031 tokens;
    // full = 2,369,031 × 49,152 / (24,576 + 0.8 × 24,576) = 2,632,256, window = ⌊0.8 × full⌋
    CHECK(mine->budget_bytes == 116442621408ull);
    CHECK(mine->cell_bytes == 49152);
    CHECK(mine->tokens == 2632256);
    CHECK(mine->window_tokens == 2105804);
    // a request of 8,192 tokens: 8,192 full tokens and 128 window tokens
    CHECK(mine->max_concurrency == doctest::Approx(2632256.0 / 8192));
  }
  SUBCASE("DeepSeek V3.2: the profiler counts 576 one-byte latent elements, not the 656 B record") {
    CapacityOptions options;
    options.max_model_len = 32768;
    options.memory_fraction = 0.9;
    options.tp = 8;
    options.weights_dtype = DType::fp8;
    options.cuda_sm = 100;  // Blackwell: fp8_e4m3 by default
    const auto arch = load_architecture("deepseek-v3.2");
    const auto blackwell = sglang_capacity(arch, load_hardware("b200"), sglang, options);
    REQUIRE(blackwell);
    // 61 layers × (512 + 64 elements × 1 B + indexer 128 × 1 B + 128 / 128 × 4 B scale)
    CHECK(blackwell->cell_bytes == 61 * (576 + 132));
    CHECK(blackwell->tokens % 64 == 0);  // DSA pages of 64 tokens
    options.cuda_sm = 90;                // Hopper: bfloat16
    const auto hopper = sglang_capacity(arch, load_hardware("b200"), sglang, options);
    REQUIRE(hopper);
    CHECK(hopper->cell_bytes == 61 * (576 * 2 + 132));
  }
  SUBCASE("SGLang's DeepSeek V4 pools are not sized as its token pool: no figure") {
    CapacityOptions options;
    options.tp = 4;
    options.max_model_len = 131072;
    std::string why;
    CHECK_FALSE(sglang_capacity(load_architecture("deepseek-v4-flash"), load_hardware("b200"),
                                sglang, options, &why));
    CHECK(why.find("DeepSeek V4") != std::string::npos);
  }
  SUBCASE("capacity --engine sglang prints SGLang's line and the fraction it used") {
    const auto result = testing::run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "-c", "8192",
                                      "--engine", "sglang", "--mem-fraction-static", "0.88"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("max_total_num_tokens=414577, max_running_requests=4096, "
                          "context_len=8192, mem_fraction_static=0.88") != std::string::npos);
    const auto mixed = testing::run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "--engine",
                                     "sglang", "--gpu-memory-utilization", "0.8"});
    CHECK(mixed.exit_code == 2);
    CHECK(mixed.err.find("--mem-fraction-static") != std::string::npos);
    const auto too_big = testing::run({"capacity", "qwen3-next-80b-a3b", "--hw", "a10g"});
    REQUIRE(too_big.exit_code == 0);
    CHECK(too_big.out.find("the weights alone do not fit") != std::string::npos);
    CHECK(too_big.out.find("GPU KV cache size") == std::string::npos);
  }
}

}  // namespace attnsim

namespace attnsim {

// Start-up lines that vLLM users published, reproduced from the logged "Available KV cache
// memory" (--kv-memory): the pool and the two lines follow from the page sizes alone.
TEST_CASE("vllm_capacity reproduces published start-up logs") {
  const EngineProfile vllm = load_engine_profile("vllm");
  const Hardware h100 = load_hardware("h100-sxm");  // only its SM matters with kv_memory_bytes
  SUBCASE("Qwen3.6-35B-A3B (Qwen3.5-35B-A3B's layers), vLLM v0.24.0, fp8 KV, prefix caching") {
    // noonghunna/club-3090 issues #652 and #612 (RTX 5090, vLLM v0.24.0, kv_cache_dtype fp8,
    // enable_prefix_caching → mamba_cache_mode 'align', max_model_len 131072):
    //   #652 "Available KV cache memory: 6.01 GiB" / "GPU KV cache size: 569,878 tokens" /
    //        "Maximum concurrency for 131,072 tokens per request: 4.35x"
    //   #612 "Available KV cache memory: 5.98 GiB" / "GPU KV cache size: 567,978 tokens" /
    //        "Maximum concurrency for 131,072 tokens per request: 4.33x"
    // Qwen3.6-35B-A3B is not shipped; its layer shapes are taken to be Qwen3.5-35B-A3B's (the
    // two logs pin the page to within 0.2 %: 300 pages at 6.01 GiB, 299 at 5.98).
    const auto arch = load_architecture("qwen3.5-35b-a3b");
    CapacityOptions options;
    options.max_model_len = 131072;
    options.cache_dtypes.kv_cache = DType::fp8;
    options.mamba_cache_mode = MambaCacheMode::align;
    // attention: 2 KV heads × (256 + 256) × 1 B = 1,024 B per token and layer; GDN state: conv
    // (2 × 16 × 128 + 32 × 128 = 8,192 channels) × 3 columns × 2 B = 49,152 + fp32 SSM
    // 32 × 128 × 128 × 4 B = 2,097,152 → 2,146,304 B. Block 16 × cdiv(2,146,304, 16 × 1,024) =
    // 16 × 131 = 2,096 tokens, page 2,096 × 1,024 = 2,146,304 B. 10 attention + 30 GDN layers:
    // groups of 10, 1 + 3 groups. A request: cdiv(131,072, 2,096) = 63 pages + 3 × 2 state pages.
    options.kv_memory_bytes = 6453188362;  // 6.01 × 2^30
    auto mine = vllm_capacity(arch, h100, vllm, options);
    REQUIRE(mine);
    CHECK(mine->groups == 4);
    CHECK(mine->num_blocks == 300);  // ⌊⌊6,453,188,362 / 2,146,304⌋ = 3,006 / 10⌋
    CHECK(mine->blocks_per_request == 69);
    CHECK(mine->tokens == 569878);  // ⌊300 / 69 × 131,072⌋ = ⌊569,878.26⌋
    CHECK(fmt::format("{:.2f}", mine->max_concurrency) == "4.35");
    options.kv_memory_bytes = 6420976107;  // 5.98 × 2^30: ⌊2,991 / 10⌋ = 299 pages
    mine = vllm_capacity(arch, h100, vllm, options);
    REQUIRE(mine);
    CHECK(mine->num_blocks == 299);
    CHECK(mine->tokens == 567978);  // ⌊299 / 69 × 131,072⌋ = ⌊567,978.67⌋
    CHECK(fmt::format("{:.2f}", mine->max_concurrency) == "4.33");
    // prefix caching off ('none'): one state page per group, 66 pages a request
    options.mamba_cache_mode = MambaCacheMode::none;
    CHECK(vllm_capacity(arch, h100, vllm, options)->blocks_per_request == 66);
  }
  SUBCASE("Qwen3.5-27B, vLLM v0.19.0: the per-group token count") {
    // vllm-project/vllm#40691 (H20, vLLM 0.19.0, `vllm serve Qwen3.5-27B --max-model-len 32768
    // --max-num-batched-token 16384`): "GPU KV cache size: 290,864 tokens" and "Maximum
    // concurrency for 32,768 tokens per request: 33.04x" (the issue: 290,864 ≠ 33.04 × 32,768).
    // The log gives no "Available KV cache memory"; both lines pin the pool to 1,487 pages.
    // attention 4 × 512 × 2 B = 4,096 B per token and layer; GDN state: conv (2 × 16 × 128 +
    // 48 × 128 = 10,240) × 3 × 2 B = 61,440 + fp32 SSM 48 × 128 × 128 × 4 B = 3,145,728 →
    // 3,207,168 B. Block 16 × cdiv(3,207,168, 65,536) = 16 × 49 = 784 tokens, page 3,211,264 B.
    // 16 attention + 48 GDN layers: groups of 16, 1 + 3 groups. A request: cdiv(32,768, 784) =
    // 42 + 3 state pages = 45. 290,864 = 371 × 784 → pages // 4 = 371 → 1,484 to 1,487 pages;
    // 33.04 × 45 = 1,486.8 → 1,487. So the budget is in [1,487, 1,488) × 16 × 3,211,264 B.
    const auto arch = load_architecture("qwen3.5-27b");
    CapacityOptions options;
    options.max_model_len = 32768;
    options.kv_size_line = KvSizeLine::per_group;
    for (const std::uint64_t budget : {76402393088ull, 76453773311ull}) {
      options.kv_memory_bytes = budget;
      const auto mine = vllm_capacity(arch, h100, vllm, options);
      REQUIRE(mine);
      CHECK(mine->num_blocks == 1487);
      CHECK(mine->blocks_per_request == 45);
      CHECK(mine->tokens == 290864);  // ⌊1,487 / 4⌋ × 784
      CHECK(fmt::format("{:.2f}", mine->max_concurrency) == "33.04");
    }
    // The later line (v0.24): ⌊1,487 / 45 × 32,768⌋ = 1,082,800 tokens.
    options.kv_size_line = KvSizeLine::concurrency;
    CHECK(vllm_capacity(arch, h100, vllm, options)->tokens == 1082800);
  }
  SUBCASE("Qwen3-235B-A22B-FP8 at tp 4: a published pair that does not match") {
    // vllm-project/vllm#21348 (4 × H100, July 2025): "Available KV cache memory: 8.11 GiB",
    // "GPU KV cache size: 178,880 tokens" (11,180 pages of 16). Per rank 1 of 4 KV heads:
    // page 16 × 2 × 128 × 2 B = 8,192 B; 94 layers: ⌊8.11 × 2^30 / 8,192 / 94⌋ = 11,308 pages,
    // 180,928 tokens. The 11,180 pages need 8.02 GiB. vLLM sizes every rank's pool by the
    // smallest rank's memory (get_kv_cache_configs takes the minimum num_blocks over workers)
    // and the issue quotes one rank's line, which is the likely reason; not confirmed. vLLM of
    // mid-2025 logged "GPU KV cache size" per worker from that worker's own budget (before
    // unify_kv_cache_configs), so the quoted pair may come from two of the four ranks.
    CapacityOptions options;
    options.tp = 4;
    options.max_model_len = 40960;
    options.kv_memory_bytes = 8708046192;  // 8.11 × 2^30
    const auto mine = vllm_capacity(load_architecture("qwen3-235b-a22b"), h100, vllm, options);
    REQUIRE(mine);
    CHECK(mine->num_blocks == 11308);
    CHECK(mine->tokens == 180928);
  }
  SUBCASE("Qwen3-235B-A22B at tp 4 under SGLang: the K and V sizes of its pool line") {
    // The same issue (vllm-project/vllm#21348), SGLang at --tp 4 --mem-fraction-static 0.93:
    // "KV Cache is allocated. #tokens: 367404, K size: 8.23 GB, V size: 8.23 GB" (SGLang's GB
    // are 2^30 B; MHATokenToKVPool, memory_pool.py @ 000ccdba, allocates size + page_size rows).
    // Per rank 94 layers × 1 of 4 KV heads × 128 × 2 B = 24,064 B of K per token:
    // (367,404 + 1) × 24,064 B = 8.234 GiB, and as much V; the cell SGLang divides by is both.
    CapacityOptions options;
    options.tp = 4;
    options.max_model_len = 40960;
    options.kv_memory_bytes = 17682000000ull;
    const auto mine = sglang_capacity(load_architecture("qwen3-235b-a22b"), h100,
                                      load_engine_profile("sglang"), options);
    REQUIRE(mine);
    CHECK(mine->cell_bytes == 2 * 24064);
    CHECK(fmt::format("{:.2f}", 367405.0 * static_cast<double>(mine->cell_bytes / 2) /
                                    1073741824.0) == "8.23");
  }
  SUBCASE("Qwen3.6-27B (Qwen3.5-27B's layers) at tp 2 with MTP speculative decoding") {
    // noonghunna/club-3090 PR #594 (2 × RTX 3090, qwen3.6-27b-fp8, tensor_parallel_size 2,
    // kv_cache_dtype fp8, enable_prefix_caching, max_model_len 262144, MTP drafting):
    // "Available KV cache memory: 5.33 GiB", "GPU KV cache size: 300,220 tokens", "Maximum
    // concurrency for 262,144 tokens per request: 1.15x". The stored copy cuts the
    // speculative_config off; the club's dual-card configs run {method: mtp,
    // num_speculative_tokens: 3} (#104, #751), and only 3 gives both lines (2: 305,338 tokens and
    // 1.16x; 4: 294,006 and 1.12x).
    // Per rank: attention 2 of 4 KV heads × 512 × 1 B = 1,024 B per token and layer; GDN conv
    // 10,240 / 2 = 5,120 channels × (3 + 3 speculative) columns × 2 B = 61,440, fp32 SSM 24 ×
    // 128 × 128 × 4 B = 1,572,864 → 1,634,304 B. Block 16 × cdiv(1,634,304, 16,384) = 1,600
    // tokens, page 1,638,400 B. The MTP module's attention layer joins the 16: 17 attention + 48
    // GDN layers, groups of 17, 1 + 3 groups. Pool ⌊⌊5,723,043,921 / 1,638,400⌋ = 3,493 / 17⌋ =
    // 205 pages; a request cdiv(262,144, 1,600) = 164 + 3 × (2 + 3) state pages = 179.
    CapacityOptions options;
    options.tp = 2;
    options.max_model_len = 262144;
    options.cache_dtypes.kv_cache = DType::fp8;
    options.mamba_cache_mode = MambaCacheMode::align;
    options.mtp_speculative_tokens = 3;
    options.kv_memory_bytes = 5723043921;  // 5.33 × 2^30
    const auto arch = load_architecture("qwen3.5-27b");
    const auto mine = vllm_capacity(arch, h100, vllm, options);
    REQUIRE(mine);
    CHECK(mine->groups == 4);
    CHECK(mine->num_blocks == 205);
    CHECK(mine->blocks_per_request == 179);
    CHECK(mine->tokens == 300220);  // ⌊205 / 179 × 262,144⌋ = ⌊300,220.5⌋
    CHECK(fmt::format("{:.2f}", mine->max_concurrency) == "1.15");
    // A model without MTP modules cannot draft with them.
    std::string why;
    CHECK_FALSE(vllm_capacity(load_architecture("llama-3-8b"), h100, vllm, options, &why));
    CHECK(why.find("MTP") != std::string::npos);
  }
  SUBCASE("capacity --kv-memory prints the published lines") {
    const auto result =
        testing::run({"capacity", "qwen3.5-35b-a3b", "--hw", "h100-sxm", "--kv-dtype", "fp8",
                      "--kv-memory", "6.01GiB", "--mamba-cache-mode", "align", "-c", "131072"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("GPU KV cache size: 569,878 tokens\nMaximum concurrency for 131,072 "
                          "tokens per request: 4.35x") != std::string::npos);
    const auto old = testing::run({"capacity", "qwen3.5-27b", "--hw", "h100-sxm", "--kv-memory",
                                   "71.16GiB", "--kv-size-line", "per-group", "-c", "32768"});
    REQUIRE(old.exit_code == 0);
    CHECK(old.out.find("GPU KV cache size: 290,864 tokens\nMaximum concurrency for 32,768 tokens "
                       "per request: 33.04x") != std::string::npos);
    CHECK(testing::run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "--mamba-cache-mode", "x"})
              .exit_code == 2);
    CHECK(testing::run({"capacity", "llama-3-8b", "--hw", "h100-sxm", "--kv-size-line", "x"})
              .exit_code == 2);
  }
}

}  // namespace attnsim
