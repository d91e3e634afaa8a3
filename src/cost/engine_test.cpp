// Tests of the engine allocation profiles: hand-computed allocations of shipped models under the
// shipped profiles (configs/engines/), the profile reader, and properties over every
// architecture × engine.
#include "cost/engine.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <tuple>

#include "core/error.h"
#include "cost/layer_cache.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

namespace {
std::uint64_t kind_state(const MemoryRow& row, const std::string& kind) {
  for (const auto& k : row.by_kind)
    if (k.layer_kind == kind) return k.state_bytes;
  return 0;
}

bool has_mixer_kind(const Architecture& architecture, std::string_view kind) {
  for (const auto& layer : architecture.layers)
    if (layer.mixer && layer.mixer->kind() == kind) return true;
  return false;
}
}  // namespace

TEST_CASE("engine_memory under the shipped profiles") {
  SUBCASE("Qwen3-Next under vLLM: bf16 state, K-1 conv columns, hybrid page unification") {
    const auto arch = load_architecture("qwen3-next-80b-a3b");
    const auto report = engine_memory(arch, {1000}, 3, load_engine_profile("vllm"));
    // GDN layer state (mamba_utils.gated_delta_net_state_shape), bf16 = the model dtype:
    //   recurrent (Hv, Dv, Dk) = 32 × 128 × 128 = 524,288 × 2 B = 1,048,576
    //   conv (K − 1) × (2·Hqk·Dk + Hv·Dv) = 3 × (2·16·128 + 32·128) = 24,576 × 2 B = 49,152
    //   page = 1,097,728 B
    // attention per token and layer: 2 × Hkv 2 × 256 × 2 B = 2,048 B
    // block = 16 × cdiv(1,097,728, 16 × 2,048) = 16 × cdiv(1,097,728, 32,768) = 16 × 34 = 544
    // padded state page = 544 × 2,048 = 1,114,112 B; × 36 GDN layers = 40,108,032 B per sequence
    CHECK(report.state_bytes_per_sequence == 40108032);
    // KV at L = 1000: cdiv(1000, 544) = 2 pages = 1,088 tokens × 2,048 B × 12 layers = 26,738,688
    // per sequence; × 3 sequences = 80,216,064. State × 3 = 120,324,096.
    CHECK(report.rows[0].kv_bytes == 80216064);
    CHECK(report.rows[0].state_bytes == 120324096);
    CHECK(report.rows[0].total_bytes == 80216064 + 120324096);
    // per-token growth before paging is the paper's: 12 × 2,048 = 24,576
    CHECK(report.kv_bytes_per_token == 24576);
  }
  SUBCASE("Nemotron 3 Nano under vLLM: the fp32 SSM state sets a 2,096-token page") {
    const auto arch = load_architecture("nemotron-3-nano-30b-a3b");
    const auto report = engine_memory(arch, {1}, 1, load_engine_profile("vllm"));
    // Mamba-2 layer: SSM 64 × 64 × 128 = 524,288 × 4 B (fp32) = 2,097,152;
    //   conv 3 × (4,096 + 2·8·128) = 18,432 × 2 B = 36,864; page 2,134,016 B
    // attention per token and layer 2 × 2 × 128 × 2 B = 1,024 B
    // block = 16 × cdiv(2,134,016, 16,384) = 16 × 131 = 2,096; padded page 2,096 × 1,024 =
    // 2,146,304 B; × 23 Mamba-2 layers = 49,364,992 B
    CHECK(report.state_bytes_per_sequence == 49364992);
    // L = 1: one page of 2,096 tokens × 1,024 B × 6 attention layers = 12,877,824
    CHECK(report.rows[0].kv_bytes == 12877824);
  }
  SUBCASE("Nemotron 3 Nano under llama.cpp: one f32 state cell per sequence, f16 KV cells") {
    const auto arch = load_architecture("nemotron-3-nano-30b-a3b");
    const auto report = engine_memory(arch, {4096}, 2, load_engine_profile("llama.cpp"));
    // llama.cpp keeps recurrent and conv state in f32 whatever the model says:
    // n_embd_s = d_state × d_inner = 128 × 4,096 = 524,288 × 4 B = 2,097,152
    // n_embd_r = (d_conv − 1) × (d_inner + 2·n_group·d_state) = 3 × 6,144 = 18,432 × 4 B = 73,728
    // per layer 2,170,880 B; × 23 layers = 49,930,240 B per sequence (one cell each)
    CHECK(report.state_bytes_per_sequence == 49930240);
    CHECK(report.rows[0].state_bytes == 2 * 49930240);
    // KV cells in f16: 6 layers × (128 + 128) × 2 heads × 2 B = 6,144 B per token;
    // × 4,096 tokens × 2 sequences = 50,331,648
    CHECK(report.rows[0].kv_bytes == 50331648);
  }
  SUBCASE("DeepSeek V3.2 under vLLM: 656-byte fp8_ds_mla record + indexer, 64-token blocks") {
    const auto arch = load_architecture("deepseek-v3.2");
    const auto vllm = load_engine_profile("vllm");
    const auto report = engine_memory(arch, {1000}, 1, vllm);
    // per layer and token: 512 fp8 + 512 / 128 × 4 B scales + 64 × 2 B bf16 RoPE = 656,
    // + indexer 128 fp8 + 4 B scale = 132 → 788 B; × 61 layers = 48,068 B
    CHECK(report.kv_bytes_per_token == 48068);
    // L = 1000 in blocks of 64: 16 blocks = 1,024 tokens × 48,068 = 49,221,632
    CHECK(report.rows[0].kv_bytes == 49221632);
    CHECK(report.rows[0].state_bytes == 0);
    // An explicit --kv-dtype bf16 keeps the bf16 latent: (576 × 2 + 132) × 61 = 78,324 B/token
    CacheDTypeOverrides bf16;
    bf16.kv_cache = DType::bf16;
    const auto kept = engine_memory(arch, {1000}, 1, vllm, bf16);
    CHECK(kept.kv_bytes_per_token == 78324);
    CHECK(kept.rows[0].kv_bytes == 78324ull * 1024);
  }
  SUBCASE("Gemma 3 27B under llama.cpp: sliding layers charged in full (swa_full)") {
    const auto arch = load_architecture("gemma-3-27b");
    const auto report = engine_memory(arch, {32768}, 1, load_engine_profile("llama.cpp"));
    // every one of 62 layers: 2 × 16 × 128 × 2 B (f16) = 8,192 B per token = 507,904 B in all;
    // × 32,768 cells = 16,642,998,272 (the 52 sliding layers are not capped at W = 1024)
    CHECK(report.rows[0].kv_bytes == 16642998272ull);
    // the paper minimum caps them: 52 × 8,192 × 1,024 + 10 × 8,192 × 32,768 = 3,120,562,176
    CHECK(kv_memory(arch, {32768}, 1).rows[0].kv_bytes == 3120562176ull);
  }
  SUBCASE("Gemma 3 27B under llama-server: sliding layers keep W + 512 cells (swa_full off)") {
    const auto arch = load_architecture("gemma-3-27b");
    const EngineProfile server = load_engine_profile("llama-server");
    CHECK(server.sliding_window_extra_tokens == 512);
    CHECK(server.block_tokens == 256);  // inherited from llama.cpp.yaml
    // With -np 1: 52 sliding layers × pad256(min(32,768, 1,024 + 512)) = 1,536 cells × 8,192 B,
    // and the 10 global layers × 32,768 cells × 8,192 B: 654,311,424 + 2,684,354,560 =
    // 3,338,665,984 B.
    EngineRun one_slot;
    one_slot.parallel = 1;
    CHECK(engine_memory(arch, {32768}, 1, server, {}, one_slot).rows[0].kv_bytes == 3338665984ull);
    // By default llama-server runs 4 slots in one unified stream: the SWA cache holds
    // pad256(min(32,768, 1,024 × 4 + 512)) = 4,608 cells: 52 × 4,608 × 8,192 = 1,962,934,272,
    // + 2,684,354,560 = 4,647,288,832 B.
    CHECK(engine_memory(arch, {32768}, 1, server).rows[0].kv_bytes == 4647288832ull);
    // At -c 1000 every layer holds pad256(1000) = 1,024 cells: 62 × 1,024 × 8,192 = 520,093,696.
    CHECK(engine_memory(arch, {1000}, 1, server).rows[0].kv_bytes == 520093696ull);
  }
  SUBCASE("DeepSeek V3 under llama.cpp (late 2025): the MLA latent stored again as V") {
    const auto report = engine_memory(load_architecture("deepseek-v3"), {4096}, 1,
                                      load_engine_profile("llama.cpp"));
    // K cache [k_pe, kv_cmpr] 64 + 512 = 576 and V cache kv_cmpr 512: 1,088 f16 elements
    // = 2,176 B per token and layer; × 61 layers = 132,736 B per token (paper: 61 × 576 × 2
    // = 70,272)
    CHECK(report.kv_bytes_per_token == 132736);
    // 4,096 cells (already a multiple of 256) × 132,736 = 543,686,656
    CHECK(report.rows[0].kv_bytes == 543686656ull);
  }
  SUBCASE("SGLang turns its SWA pool off for Gemma 3 only: gpt-oss keeps its windows") {
    const auto sglang = load_engine_profile("sglang");
    // Gemma 3 27B: 62 layers × 8,192 B (bf16, as for f16 above) × 32,768 = 16,642,998,272
    CHECK(engine_memory(load_architecture("gemma-3-27b"), {32768}, 1, sglang).rows[0].kv_bytes ==
          16642998272ull);
    // gpt-oss-120b: 2 × 8 kv heads × 64 × 2 B = 2,048 B per token and layer; 18 sliding layers
    // keep W = 128 tokens and 18 full layers all 32,768 (1-token pages):
    // 18 × 2,048 × 128 + 18 × 2,048 × 32,768 = 4,718,592 + 1,207,959,552 = 1,212,678,144
    CHECK(engine_memory(load_architecture("gpt-oss-120b"), {32768}, 1, sglang).rows[0].kv_bytes ==
          1212678144ull);
  }
  SUBCASE("Gemma 3 27B under vLLM past the window: blocks wholly behind it are freed") {
    const auto arch = load_architecture("gemma-3-27b");
    const auto vllm = load_engine_profile("vllm");
    // L = 1,030 > W = 1,024, B = 16: a sliding layer holds cdiv(1030, 16) − ⌊(1030 − 1024)/16⌋
    // = 65 − 0 = 65 blocks (the window starts inside block 0), a global layer 65 too:
    // 62 layers × 8,192 B × 65 × 16 = 528,220,160
    CHECK(engine_memory(arch, {1030}, 1, vllm).rows[0].kv_bytes == 528220160ull);
    // L = 1,040: sliding 65 − ⌊16/16⌋ = 64 blocks, global 65:
    // 52 × 8,192 × 1,024 + 10 × 8,192 × 1,040 = 436,207,616 + 85,196,800 = 521,404,416
    CHECK(engine_memory(arch, {1040}, 1, vllm).rows[0].kv_bytes == 521404416ull);
    // the paper minimum keeps exactly W = 1,024 sliding tokens: 52 × 8,192 × 1,024 +
    // 10 × 8,192 × 1,030 = 436,207,616 + 84,377,600 = 520,585,216
    CHECK(kv_memory(arch, {1030}, 1).rows[0].kv_bytes == 520585216ull);
  }
  SUBCASE("Gemma 3 27B under vLLM: windows kept, in blocks of 16") {
    const auto arch = load_architecture("gemma-3-27b");
    const auto report = engine_memory(arch, {1000}, 1, load_engine_profile("vllm"));
    // 1,000 tokens → 63 blocks = 1,008 tokens in all 62 layers (1,000 < W = 1,024):
    // 62 × 8,192 × 1,008 = 511,967,232
    CHECK(report.rows[0].kv_bytes == 511967232);
  }
  SUBCASE("Kimi Linear under SGLang: fp32 KDA state, three slots per running request") {
    const auto arch = load_architecture("kimi-linear-48b-a3b");
    const auto sglang = load_engine_profile("sglang");
    const auto report = engine_memory(arch, {1}, 1, sglang);
    // KDA layer: recurrent H × Dk × Dv = 32 × 128 × 128 = 524,288 elements;
    //   conv (K − 1) × (2·H·Dk + H·Dv) = 3 × 12,288 = 36,864 elements
    // paper (the file's bf16): (524,288 + 36,864) × 2 B = 1,122,304 × 20 layers = 22,446,080
    CHECK(kind_state(kv_memory(arch, {1}, 1).rows[0], "kda") == 22446080);
    // SGLang: 524,288 × 4 B (fp32) + 36,864 × 2 B (bf16) = 2,170,880 × 20 = 43,417,600 per slot;
    // × 3 slots per running request = 130,252,800
    CHECK(kind_state(report.rows[0], "kda") == 130252800);
    // vLLM forces only the recurrent state to fp32 (kda_state_dtype), one page per request,
    // padded to the unified page: MLA 576 × 2 B = 1,152 B per token; block = 16 × cdiv(2,170,880,
    // 16 × 1,152 = 18,432) = 16 × 118 = 1,888; page 1,888 × 1,152 = 2,174,976 B × 20 = 43,499,520
    const auto vllm = engine_memory(arch, {1}, 1, load_engine_profile("vllm"));
    CHECK(kind_state(vllm.rows[0], "kda") == 43499520);
  }
}

TEST_CASE("engine_layers: SGLang keeps lightning states in fp32") {
  // MiniMax-M1: 70 lightning layers of 64 heads × 128 × 128 = 1,048,576 elements; the model's
  // bf16 gives 2,097,152 B per layer, SGLang's float32 (minimax_cache_per_req) 4,194,304 B
  const auto minimax = load_architecture("minimax-m1");
  std::uint64_t layers = 0;
  for (const auto& layer : engine_layers(minimax, load_engine_profile("sglang")))
    if (layer.kind == "lightning") {
      CHECK(layer.state_bytes_per_slot == 4194304);
      ++layers;
    }
  CHECK(layers == 70);
  // per running request, three slots (radix cache on): 3 × 70 × 4,194,304 = 880,803,840 B
  CHECK(engine_memory(minimax, {1}, 1, load_engine_profile("sglang")).state_bytes_per_sequence ==
        880803840);
}

TEST_CASE("engine_memory with hardware-dependent defaults") {
  const auto arch = load_architecture("deepseek-v3.2");
  const auto sglang = load_engine_profile("sglang");
  // Hopper (SM90) or no --hw: bf16 latent (576 × 2 = 1,152) + indexer 132 = 1,284 B per layer
  CHECK(engine_memory(arch, {1}, 1, sglang, {}, 90).kv_bytes_per_token == 61 * 1284);
  CHECK(engine_memory(arch, {1}, 1, sglang).kv_bytes_per_token == 61 * 1284);
  // Blackwell (SM100): fp8_e4m3 record 512 + 512 / 128 × 4 + 64 × 2 = 656, + 132 = 788 B per
  // layer-token (the figure), × 61 = 48,068
  CHECK(engine_memory(arch, {1}, 1, sglang, {}, 100).kv_bytes_per_token == 61 * 788);
  // an fp8 request on Hopper uses the same record, not 576 one-byte elements (708)
  CacheDTypeOverrides fp8;
  fp8.kv_cache = DType::fp8;
  CHECK(engine_memory(arch, {1}, 1, sglang, fp8, 90).kv_bytes_per_token == 61 * 788);
  // an explicit bf16 on Blackwell keeps the bf16 latent
  CacheDTypeOverrides bf16;
  bf16.kv_cache = DType::bf16;
  CHECK(engine_memory(arch, {1}, 1, sglang, bf16, 100).kv_bytes_per_token == 61 * 1284);
  SUBCASE("kv --hw b200 reads the preset's compute capability") {
    const auto result = testing::run({"kv", "deepseek-v3.2", "-c", "1", "--engine", "sglang",
                                      "--hw", "b200", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["kv_bytes_per_token"] == 61 * 788);
    const auto gb200 = testing::run({"kv", "deepseek-v3.2", "-c", "1", "--engine", "sglang", "--hw",
                                     "gb200", "--format", "json"});
    REQUIRE(gb200.exit_code == 0);
    CHECK(nlohmann::json::parse(gb200.out)["architectures"][0]["kv_bytes_per_token"] == 61 * 788);
  }
}

TEST_CASE("profile_for_gpu: page sizes that follow the attention backend picked on Blackwell") {
  const auto vllm = load_engine_profile("vllm");
  const auto sglang = load_engine_profile("sglang");
  SUBCASE("vLLM, DeepSeek V3: CUTLASS_MLA's 128-token blocks on SM 10.0 only") {
    const auto arch = load_architecture("deepseek-v3");
    // 61 MLA layers × (512 + 64) bf16 = 1,152 B per layer-token = 70,272 B per token.
    // L = 1,030: SM 10.0 cdiv(1,030, 128) = 9 blocks = 1,152 tokens × 70,272 = 80,953,344;
    // Hopper (FlashMLA) cdiv(1,030, 64) = 17 blocks = 1,088 tokens × 70,272 = 76,455,936.
    CHECK(engine_memory(arch, {1030}, 1, vllm, {}, 100).rows[0].kv_bytes == 80953344);
    CHECK(engine_memory(arch, {1030}, 1, vllm, {}, 90).rows[0].kv_bytes == 76455936);
    CHECK(engine_memory(arch, {1030}, 1, vllm).rows[0].kv_bytes == 76455936);
    // SM 10.3 is not is_device_capability(100) at 1c0d9ecf: the 64-token block stays
    CHECK(engine_memory(arch, {1030}, 1, vllm, {}, 103).rows[0].kv_bytes == 76455936);
    CHECK(profile_for_gpu(vllm, 100).block_tokens_by_kind.at("mla") == 128);
    CHECK(profile_for_gpu(vllm, 100).block_tokens == 16);
  }
  SUBCASE("vLLM, DeepSeek V3.2: sparse MLA is forced back to 64 on Blackwell") {
    const auto arch = load_architecture("deepseek-v3.2");
    // fp8_ds_mla 656 + indexer 132 = 788 B × 61 = 48,068 B per token; L = 1,030:
    // cdiv(1,030, 64) = 17 blocks = 1,088 tokens × 48,068 = 52,297,984 on both generations
    CHECK(engine_memory(arch, {1030}, 1, vllm, {}, 100).rows[0].kv_bytes == 52297984);
    CHECK(engine_memory(arch, {1030}, 1, vllm, {}, 90).rows[0].kv_bytes == 52297984);
  }
  SUBCASE("SGLang, Llama 3 8B: trtllm_mha's 64-token pages on SM 10.x, one-token pages else") {
    const auto arch = load_architecture("llama-3-8b");
    // 32 layers × 2 × 8 heads × 128 × 2 B = 131,072 B per token. L = 1,000:
    // SM100 / SM103: cdiv(1,000, 64) = 16 pages = 1,024 tokens × 131,072 = 134,217,728;
    // Hopper (fa3) and SM120 (flashinfer): 1,000 × 131,072 = 131,072,000
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 134217728);
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, 103).rows[0].kv_bytes == 134217728);
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, 90).rows[0].kv_bytes == 131072000);
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, 120).rows[0].kv_bytes == 131072000);
  }
  SUBCASE("SGLang, MLA on SM100: trtllm_mla (64) for the DeepSeek V3 family only") {
    // DeepSeek V3 (DeepseekV3ForCausalLM): 1,024 tokens × 70,272 = 71,958,528 at L = 1,000
    const auto deepseek = load_architecture("deepseek-v3");
    CHECK(engine_memory(deepseek, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 71958528);
    CHECK(engine_memory(deepseek, {1000}, 1, sglang, {}, 90).rows[0].kv_bytes == 70272000);
    // Kimi K2 uses the same class: 61 layers × (512 + 64) × 2 B, the same 71,958,528
    const auto kimi = load_architecture("kimi-k2");
    CHECK(engine_memory(kimi, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 71958528);
    // Sarvam 105B (SarvamMLAForCausalLM) gets flashinfer, no page constraint: as on Hopper,
    // 32 layers × (512 + 64) × 2 B = 36,864 B per token × 1,000 = 36,864,000
    const auto sarvam = load_architecture("sarvam-105b");
    CHECK(engine_memory(sarvam, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 36864000);
    // DeepSeek V3.2 keeps DSA's 64 with the 788-byte record: 1,024 × 48,068 = 49,221,632
    const auto v32 = load_architecture("deepseek-v3.2");
    CHECK(engine_memory(v32, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 49221632);
  }
  SUBCASE("vLLM hybrids of head size 256 on SM 10.0: blocks aligned to 32 tokens, not 16") {
    // Qwen3.5-27B: GDN state 48 × 128 × 128 × 4 B (fp32) = 3,145,728 + conv 3 × (2·16·128 +
    // 48·128) × 2 B = 61,440 → 3,207,168 B; attention 2 × 4 heads × 256 × 2 B = 4,096 B a token.
    //   Hopper: 16 × cdiv(3,207,168, 16 × 4,096) = 16 × 49 = 784 tokens, page 3,211,264 B
    //   SM 10.0: 32 × cdiv(3,207,168, 32 × 4,096) = 32 × 25 = 800 tokens, page 3,276,800 B
    const auto qwen = load_architecture("qwen3.5-27b");
    for (const auto& [sm, block, page] :
         {std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>{90, 784, 3211264},
          {100, 800, 3276800},
          {103, 784, 3211264}})
      for (const auto& layer : engine_layers(qwen, vllm, {}, sm)) {
        CHECK(layer.block_tokens == block);
        if (layer.state_bytes_per_slot > 0) CHECK(layer.state_bytes_per_slot == page);
      }
    // Qwen3-Next (state 1,097,728 B, 2,048 B a token): 16 × 34 = 544 and 32 × 17 = 544 agree
    for (const auto& layer : engine_layers(load_architecture("qwen3-next-80b-a3b"), vllm, {}, 100))
      CHECK(layer.block_tokens == 544);
    // Nemotron 3 Nano has head size 128: its 2,096-token block stays
    for (const auto& layer :
         engine_layers(load_architecture("nemotron-3-nano-30b-a3b"), vllm, {}, 100))
      CHECK(layer.block_tokens == 2096);
  }
  SUBCASE("SGLang on SM100: the per-model backends' pages") {
    // Qwen3-Next (qwen3_5.py: triton, page 1, radix cache on without the extra buffer):
    // 12 attention layers × 2 × 2 heads × 256 × 2 B = 24,576 B a token × 1,000 = 24,576,000
    const auto next = load_architecture("qwen3-next-80b-a3b");
    CHECK(engine_memory(next, {1000}, 1, sglang, {}, 100).rows[0].kv_bytes == 24576000);
    const auto blocks = [&](const std::string& name, std::uint64_t sm) {
      std::vector<std::uint64_t> out;
      for (const auto& layer : engine_layers(load_architecture(name), sglang, {}, sm))
        if (!layer.growing.empty()) out.push_back(layer.block_tokens);
      REQUIRE_FALSE(out.empty());
      return out;
    };
    for (const auto& name : {"falcon-h1-34b", "granite-4.0-h-small", "lfm2-1.2b", "qwen3.5-27b"})
      for (const auto block : blocks(name, 100)) CHECK(block == 1);
    // MiMo-V2 takes fa4: 128-token pages on SM100, one-token pages on Hopper
    for (const auto block : blocks("mimo-v2-flash", 100)) CHECK(block == 128);
    for (const auto block : blocks("mimo-v2-flash", 90)) CHECK(block == 1);
    // gpt-oss, Olmo 3, Nemotron 3 Nano: trtllm_mha's 64, as the default
    for (const auto& name : {"gpt-oss-20b", "olmo-3-7b", "nemotron-3-nano-30b-a3b"})
      for (const auto block : blocks(name, 100)) CHECK(block == 64);
  }
  SUBCASE("capacity follows: SGLang's pool on B200 rounds to 64-token pages") {
    const auto layers = engine_layers(load_architecture("llama-3-8b"), sglang, {}, 100);
    for (const auto& layer : layers) CHECK(layer.block_tokens == 64);
  }
}

TEST_CASE("notes_for") {
  const auto vllm = load_engine_profile("vllm");
  std::vector<Architecture> llama;
  llama.push_back(load_architecture("llama-3-8b"));
  const auto llama_notes = notes_for(vllm, llama);
  // Llama 3 8B has no sliding, MLA, DSA or hybrid layer: only the unconditional note is left
  REQUIRE(llama_notes.size() == 1);
  CHECK(llama_notes[0].layer_kinds.empty());
  CHECK(llama_notes[0].families.empty());
  std::vector<Architecture> deepseek;
  deepseek.push_back(load_architecture("deepseek-v3.2"));
  std::size_t dsa_notes = 0;
  for (const auto& note : notes_for(vllm, deepseek))
    if (note.text.find("DeepSeek V3.2 defaults") != std::string::npos) ++dsa_notes;
  CHECK(dsa_notes == 1);
  SUBCASE("kv prints only the notes that apply, and says what the ratio compares") {
    const auto result = testing::run({"kv", "llama-3-8b", "-c", "4k", "--engine", "vllm"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("GLM-5") == std::string::npos);
    CHECK(result.out.find("Kimi Linear") == std::string::npos);
    CHECK(result.out.find("prefix caching modes") != std::string::npos);
    CHECK(result.out.find("'vllm/paper total' = the total bytes vLLM allocates") !=
          std::string::npos);
  }
}

TEST_CASE("load_engine_profile") {
  testing::ScratchDir dir;
  SUBCASE("shipped profiles load and cite sources") {
    for (const auto& name : engine_names()) {
      const auto engine = load_engine_profile(name);
      CHECK(engine.name == name);
      CHECK_FALSE(engine.sources.empty());
      CHECK_FALSE(engine.describes.empty());
    }
  }
  SUBCASE("unknown keys are rejected") {
    const auto file =
        dir.write("bad.yaml", "display_name: x\ndescribes: y\nsources: [z]\nblock_token: 16\n");
    CHECK_THROWS_AS(load_engine_profile(file.string()), UserError);
  }
  SUBCASE("rule maps are keyed by registered mixer kinds") {
    const auto file = dir.write(
        "bad.yaml",
        "display_name: x\ndescribes: y\nsources: [z]\nblock_tokens_by_kind: {mamba9: 16}\n");
    CHECK_THROWS_AS(load_engine_profile(file.string()), UserError);
  }
  SUBCASE("gpu_defaults: a range of SMs and at least one rule, errors located") {
    const std::string head = "display_name: x\ndescribes: y\nsources: [z]\n";
    const auto inverted =
        dir.write("inverted.yaml",
                  head + "gpu_defaults:\n  - {from_sm: 100, below_sm: 90, block_tokens: 64}\n");
    CHECK_THROWS_WITH_AS(load_engine_profile(inverted.string()),
                         doctest::Contains("gpu_defaults[0].below_sm"), UserError);
    const auto empty = dir.write("empty.yaml", head + "gpu_defaults:\n  - {from_sm: 100}\n");
    const auto head_dim = dir.write(
        "head_dim.yaml",
        head +
            "gpu_defaults:\n  - {from_sm: 100, hybrid_page_align_tokens_by_head_dim: {x1: 32}}\n");
    CHECK_THROWS_WITH_AS(load_engine_profile(head_dim.string()), doctest::Contains("a head size"),
                         UserError);
    CHECK_THROWS_WITH_AS(load_engine_profile(empty.string()),
                         doctest::Contains("at least one of block_tokens"), UserError);
    const auto kind = dir.write(
        "kind.yaml", head + "gpu_defaults:\n  - {from_sm: 100, block_tokens_by_kind: {mal: 8}}\n");
    CHECK_THROWS_WITH_AS(load_engine_profile(kind.string()), doctest::Contains("mla"), UserError);
    const auto ok = dir.write(
        "ok.yaml", head +
                       "block_tokens: 4\ngpu_defaults:\n  - {from_sm: 80, block_tokens: 8}\n"
                       "  - {from_sm: 100, block_tokens_by_family: {Llama 3: 2}}\n");
    const auto engine = load_engine_profile(ok.string());
    CHECK(profile_for_gpu(engine, 75).block_tokens == 4);
    CHECK(profile_for_gpu(engine, std::nullopt).block_tokens == 4);
    CHECK(profile_for_gpu(engine, 120).block_tokens == 8);  // both entries apply, in order
    CHECK(profile_for_gpu(engine, 120).block_tokens_by_family.at("Llama 3") == 2);
    // Llama 3 8B at L = 3 with 2-token pages: 4 tokens × 131,072 B
    CHECK(
        engine_memory(load_architecture("llama-3-8b"), {3}, 1, engine, {}, 100).rows[0].kv_bytes ==
        4 * 131072);
  }
  SUBCASE("an unknown engine name") { CHECK_THROWS_AS(load_engine_profile("tgi"), UserError); }
  SUBCASE("extends names a shipped profile; extra window tokens need sliding_window: window") {
    const auto unknown = dir.write("child.yaml", "extends: llama.cp\ndisplay_name: x\n");
    CHECK_THROWS_WITH_AS(load_engine_profile(unknown.string()), doctest::Contains("llama.cpp"),
                         UserError);
    const auto both = dir.write(
        "both.yaml", "extends: llama.cpp\ndisplay_name: x\nsliding_window_extra_tokens: 8\n");
    CHECK_THROWS_WITH_AS(load_engine_profile(both.string()),
                         doctest::Contains("sliding_window_extra_tokens"), UserError);
  }
}

TEST_CASE("kv --engine output") {
  SUBCASE("JSON: the contract keys hold the engine's allocation, `paper` the minimum") {
    const auto result = testing::run(
        {"kv", "deepseek-v3.2", "--context", "1000", "--engine", "vllm", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto root = nlohmann::json::parse(result.out);
    CHECK(root["engine"]["name"] == "vllm");
    const auto& arch = root["architectures"][0];
    // vLLM: 61 × (656 + 132) = 48,068 B/token, 1,024 tokens (16 blocks of 64) → 49,221,632
    CHECK(arch["kv_bytes_per_token"] == 48068);
    CHECK(arch["rows"][0]["kv_bytes"] == 49221632);
    CHECK(arch["rows"][0]["total_bytes"] == 49221632);
    // paper: 61 × 1,284 = 78,324 B/token × 1,000 tokens = 78,324,000
    CHECK(arch["paper"]["kv_bytes_per_token"] == 78324);
    CHECK(arch["paper"]["rows"][0]["kv_bytes"] == 78324000);
    CHECK(arch["paper"]["rows"][0]["total_bytes"] == 78324000);
  }
  SUBCASE("the default is the paper minimum, without a `paper` object") {
    const auto result =
        testing::run({"kv", "deepseek-v3.2", "--context", "1000", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto root = nlohmann::json::parse(result.out);
    CHECK(root["architectures"][0]["rows"][0]["kv_bytes"] == 78324000);
    CHECK_FALSE(root["architectures"][0].contains("paper"));
  }
  SUBCASE("text: both numbers side by side") {
    const auto result = testing::run({"kv", "gemma-3-27b", "-c", "32k", "--engine", "llama.cpp"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("paper total GiB") != std::string::npos);
    CHECK(result.out.find("llama.cpp total GiB") != std::string::npos);
  }
  SUBCASE("an unknown engine is a user error") {
    CHECK(testing::run({"kv", "gemma-3-27b", "--engine", "tgi"}).exit_code == 2);
  }
}

// Properties over every shipped architecture and engine.
TEST_CASE("engine_memory properties") {
  const std::vector<std::uint64_t> contexts{1, 1000, 4096, 131072};
  std::vector<EngineProfile> engines;
  for (const auto& name : engine_names()) engines.push_back(load_engine_profile(name));
  for (const auto& file : list_architecture_files()) {
    const auto arch = load_architecture(file.string());
    for (const auto& engine : engines) {
      CAPTURE(arch.name);
      CAPTURE(engine.name);
      // Where the engine picks a smaller dtype than the file (llama.cpp's f16 cells for GPT-2's
      // fp32 cache, an fp8 latent record for a bf16 latent) it stores less than that minimum;
      // compare both at the same dtype there.
      CacheDTypeOverrides overrides;
      overrides.kv_cache = engine.default_dtypes.kv_cache;
      for (const auto& record : {engine.latent_record, engine.compressed_record})
        if (record)
          for (const auto& kind : record->kinds)
            if (has_mixer_kind(arch, kind)) overrides.kv_cache = DType::bf16;
      // A sliding window frees only whole pages behind it: cdiv(L, B) − ⌊(L − W)/B⌋ pages is
      // cdiv(W, B) or one more depending on where the window starts, so a longer context may
      // hold one page less per sliding layer (vLLM's unified hybrid pages: RecurrentGemma-9B).
      std::uint64_t window_page_bytes = 0;
      for (const LayerCache& layer : engine_layers(arch, engine, overrides))
        for (const auto& term : layer.growing)
          if (term.max_tokens && term.sliding)
            window_page_bytes += term.bytes_per_token * layer.block_tokens;
      for (std::uint64_t batch : {1, 3}) {
        const auto mine = engine_memory(arch, contexts, batch, engine, overrides);
        const auto paper = kv_memory(arch, contexts, batch, overrides);
        for (std::size_t i = 0; i < contexts.size(); ++i) {
          // transformers keeps W − 1 sliding tokens between steps, one fewer than the minimum
          if (!engine.sliding_window_minus_one)
            CHECK(mine.rows[i].kv_bytes >= paper.rows[i].kv_bytes);
          CHECK(mine.rows[i].state_bytes >= paper.rows[i].state_bytes);
          if (i > 0)
            CHECK(mine.rows[i].total_bytes + batch * window_page_bytes >=
                  mine.rows[i - 1].total_bytes);
        }
        if (batch > 1) {
          // Sequences in streams of their own add up; llama-server's one unified stream for its
          // 4 slots holds them in no more than that (pad256(B·L) ≤ B·pad256(L), 4 state cells).
          const bool shared = engine.kv_streams && engine.kv_streams->auto_kv_unified;
          const auto single = engine_memory(arch, contexts, 1, engine, overrides);
          for (std::size_t i = 0; i < contexts.size(); ++i)
            if (shared)
              CHECK(mine.rows[i].total_bytes <= batch * single.rows[i].total_bytes);
            else
              CHECK(mine.rows[i].total_bytes == batch * single.rows[i].total_bytes);
        }
      }
    }
  }
}

}  // namespace attnsim

namespace attnsim {

// llama.cpp prints its allocation at start-up, and it depends on n_ctx alone, so a published line
// is reproduced exactly: "llama_kv_cache: size = X MiB (N cells, L layers, 1/1 seqs), K (f16): …"
// and "llama_memory_recurrent: size = X MiB (1 cells, L layers, 1 seqs), R (f32): …, S (f32): …".
TEST_CASE("engine_memory reproduces published llama.cpp start-up lines") {
  const EngineProfile llama_cpp = load_engine_profile("llama.cpp");
  const auto mib = [](std::uint64_t bytes) { return fmt::format("{:.2f}", bytes / 1048576.0); };
  SUBCASE("Llama 3 8B at -c 8192") {
    // The llama-server line for bartowski/Meta-Llama-3-8B-Instruct-GGUF at -c 8192, in two
    // third-party copies found through code search, which does not name their repositories (a
    // KV calculator's validation note, run on an Apple M5; an Ollama log parser's comment quoting
    // llama.cpp b10969):
    // "llama_kv_cache: size = 1024.00 MiB (  8192 cells,  32 layers,  1/1 seqs),
    //  K (f16):  512.00 MiB, V (f16):  512.00 MiB"
    // 8,192 cells × 32 layers × 8 KV heads × 128 × 2 B = 536,870,912 B = 512 MiB each for K and V.
    const auto report = engine_memory(load_architecture("llama-3-8b"), {8192}, 1, llama_cpp);
    CHECK(report.rows[0].kv_bytes == 1073741824ull);
    CHECK(mib(report.rows[0].kv_bytes) == "1024.00");
    CHECK(report.rows[0].state_bytes == 0);
  }
  SUBCASE("Qwen3.6-27B (Qwen3.5-27B's layers) at -c 32768: KV and recurrent state") {
    // chungers/motlie, evals results report qwen3_6_27b_gguf chat_smoke (dgx-spark, CUDA,
    // llama.cpp backend, git_sha 167f5d89), the llama.cpp child log at n_ctx 32768:
    // "llama_kv_cache: size = 2048.00 MiB ( 32768 cells,  16 layers,  1/1 seqs),
    //  K (f16): 1024.00 MiB, V (f16): 1024.00 MiB"
    // "llama_memory_recurrent: size =  149.62 MiB (     1 cells,  64 layers,  1 seqs),
    //  R (f32):    5.62 MiB, S (f32):  144.00 MiB"
    // Its numbers are Qwen3.5-27B's shapes: KV 32,768 cells × 16 layers × 4 heads × 256 × 2 B =
    // 1,073,741,824 B each for K and V; R = 48 GDN layers × 3 columns × (2 × 16 × 128 + 48 × 128
    // = 10,240 channels) × 4 B = 5,898,240 B (5.625 MiB); S = 48 × 48 × 128 × 128 × 4 B =
    // 150,994,944 B (144 MiB); the state 156,893,184 B = 149.625 MiB, which printf's %.2f rounds
    // half to even: "149.62".
    const auto report = engine_memory(load_architecture("qwen3.5-27b"), {32768}, 1, llama_cpp);
    CHECK(report.rows[0].kv_bytes == 2147483648ull);
    CHECK(report.rows[0].state_bytes == 5898240 + 150994944);
    CHECK(mib(report.rows[0].state_bytes) == "149.62");
  }
  SUBCASE("Llama 3 8B at -c 8192 with -ctk q8_0 -ctv q8_0 -fa on") {
    // The same KV calculator's validation note, run 3 (stored file id 70947194673):
    // "llama_kv_cache: size =  544.00 MiB (  8192 cells,  32 layers,  1/1 seqs),
    //  K (q8_0):  272.00 MiB, V (q8_0):  272.00 MiB"
    // A K row of 8 heads × 128 = 1,024 values is 32 blocks of 34 B = 1,088 B; × 8,192 cells × 32
    // layers = 285,212,672 B = 272 MiB, and as much for V.
    CacheDTypeOverrides q8;
    q8.kv_cache = DType::q8_0;
    const auto report = engine_memory(load_architecture("llama-3-8b"), {8192}, 1, llama_cpp, q8);
    CHECK(report.rows[0].kv_bytes == 2ull * 285212672);
    CHECK(mib(report.rows[0].kv_bytes) == "544.00");
  }
}

TEST_CASE("ggml's block-quantised KV types") {
  const Architecture llama = load_architecture("llama-3-8b");
  const auto with = [](DType dtype) {
    CacheDTypeOverrides overrides;
    overrides.kv_cache = dtype;
    return overrides;
  };
  SUBCASE("llama.cpp stores each type llama-server's -ctk/-ctv accepts, per 32-value block") {
    // Llama 3 8B per token: 32 layers × 2 (K, V) × 1,024 values = 65,536 values = 2,048 blocks:
    // q4_0 18 B, q4_1 20, q5_0 22, q5_1 24, iq4_nl 18 per block; bf16 and f32 2 and 4 B a value.
    const EngineProfile server = load_engine_profile("llama-server");
    const std::vector<std::pair<DType, std::uint64_t>> per_token{
        {DType::q4_0, 2048 * 18}, {DType::q4_1, 2048 * 20},   {DType::q5_0, 2048 * 22},
        {DType::q5_1, 2048 * 24}, {DType::iq4_nl, 2048 * 18}, {DType::bf16, 65536 * 2},
        {DType::fp32, 65536 * 4}};
    for (const auto& [dtype, bytes] : per_token)
      CHECK(engine_memory(llama, {256}, 1, server, with(dtype)).kv_bytes_per_token == bytes);
  }
  SUBCASE("engines without the ggml types refuse them; llama.cpp refuses fp8") {
    CHECK_THROWS_WITH_AS(
        engine_memory(llama, {256}, 1, load_engine_profile("vllm"), with(DType::q8_0)),
        doctest::Contains("use --engine llama.cpp or llama-server"), UserError);
    CHECK_THROWS_WITH_AS(
        engine_memory(llama, {256}, 1, load_engine_profile("llama.cpp"), with(DType::fp8)),
        doctest::Contains("fp16, bf16, q8_0, q4_0"), UserError);
    // The paper minimum prices any storage format: 2,048 blocks of 34 B.
    CHECK(kv_memory(llama, {256}, 1, with(DType::q8_0)).kv_bytes_per_token == 2048 * 34);
  }
  SUBCASE("the flash-attention note is printed only for a quantised cache type") {
    std::vector<Architecture> one{llama};
    const auto mentions_fa = [](const std::vector<EngineNote>& notes) {
      for (const auto& note : notes)
        if (note.text.find("flash attention") != std::string::npos) return true;
      return false;
    };
    const EngineProfile llama_cpp = load_engine_profile("llama.cpp");
    CHECK(mentions_fa(notes_for(llama_cpp, one, with(DType::q4_0))));
    CHECK_FALSE(mentions_fa(notes_for(llama_cpp, one, with(DType::bf16))));
    CHECK_FALSE(mentions_fa(notes_for(llama_cpp, one)));
  }
}

}  // namespace attnsim

namespace attnsim {

// kv --tp N: one rank's share, as engine_layers splits each layer's cache over its heads.
TEST_CASE("engine_memory per rank (--tp) and with MTP drafting") {
  const auto per_rank = [](std::uint64_t tp, std::uint64_t speculative = 0) {
    EngineRun run;
    run.tp = tp;
    run.mtp_speculative_tokens = speculative;
    return run;
  };
  SUBCASE("Qwen3-235B-A22B under SGLang: 4 KV heads split, replicated past tp 4") {
    // 94 layers × 2 (K, V) × 128 × 2 B = 48,128 B per token for each KV head a rank keeps:
    // tp 2 keeps 2 heads, tp 4 one, tp 8 one (each head on two ranks).
    const auto arch = load_architecture("qwen3-235b-a22b");
    const EngineProfile sglang = load_engine_profile("sglang");
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, per_rank(2)).kv_bytes_per_token == 96256);
    CHECK(engine_memory(arch, {1000}, 1, sglang, {}, per_rank(4)).kv_bytes_per_token == 48128);
    const auto tp8 = engine_memory(arch, {1000}, 1, sglang, {}, per_rank(8));
    CHECK(tp8.kv_bytes_per_token == 48128);
    CHECK(tp8.rows[0].kv_bytes == 48128ull * 1000);
    CHECK_FALSE(tp8.rows[0].full_attention_bytes.has_value());  // the whole model's, not a rank's
    CHECK(paper_memory_per_rank(arch, {1000}, 1, {}, 8).kv_bytes_per_token == 48128);
  }
  SUBCASE("DeepSeek V3 under vLLM: the MLA latent on every rank") {
    // 61 layers × (512 + 64) × 2 B = 70,272 B per token whatever the ranks.
    const auto report = engine_memory(load_architecture("deepseek-v3"), {4096}, 1,
                                      load_engine_profile("vllm"), {}, per_rank(8));
    CHECK(report.kv_bytes_per_token == 70272);
  }
  SUBCASE("Qwen3-Next under vLLM at tp 2: GDN state split by value head, pages unified again") {
    // Per rank: attention 1 of 2 KV heads × 256 × 2 (K, V) × 2 B = 1,024 B per token and layer;
    // GDN (16 of 32 value heads) state 16 × 128 × 128 × 2 B = 524,288 + conv 3 columns × 4,096
    // of 8,192 channels × 2 B = 24,576 → 548,864 B (paper per rank). Page 16 × cdiv(548,864,
    // 16 × 1,024) = 16 × 34 = 544 tokens, state page 544 × 1,024 = 557,056 B.
    const auto arch = load_architecture("qwen3-next-80b-a3b");
    const auto report =
        engine_memory(arch, {1088}, 1, load_engine_profile("vllm"), {}, per_rank(2));
    CHECK(report.kv_bytes_per_token == 12 * 1024);
    CHECK(report.state_bytes_per_sequence == 36ull * 557056);
    CHECK(report.rows[0].kv_bytes == 12ull * 1088 * 1024);  // two pages of 544 tokens
    const auto paper = paper_memory_per_rank(arch, {1088}, 1, {}, 2);
    CHECK(paper.kv_bytes_per_token == 12 * 1024);
    CHECK(paper.state_bytes_per_sequence == 36ull * 548864);
  }
  SUBCASE("Qwen3.5-27B under vLLM, fp8 KV, tp 2, MTP drafting of 3 tokens") {
    // The club-3090 #594 run of capacity_test.cpp: per rank 1,024 B per token and attention
    // layer, the MTP module's attention layer beside the 16; GDN conv 5,120 channels × (3 + 3)
    // columns × 2 B = 61,440 + fp32 SSM 24 × 128 × 128 × 4 B = 1,572,864 → 1,634,304 B, padded
    // to the 1,600-token page: 1,638,400 B; 1 + 3 state slots per sequence (num_speculative_
    // blocks). At 16,000 tokens (10 pages): 17 × 10 × 1,638,400 = 278,528,000 B of KV.
    CacheDTypeOverrides fp8;
    fp8.kv_cache = DType::fp8;
    const auto report = engine_memory(load_architecture("qwen3.5-27b"), {16000}, 1,
                                      load_engine_profile("vllm"), fp8, per_rank(2, 3));
    CHECK(report.kv_bytes_per_token == 17 * 1024);
    CHECK(report.state_bytes_per_sequence == 48ull * 1638400 * 4);
    CHECK(report.rows[0].kv_bytes == 278528000ull);
    CHECK_THROWS_AS(engine_memory(load_architecture("llama-3-8b"), {16000}, 1,
                                  load_engine_profile("vllm"), {}, per_rank(1, 3)),
                    UserError);
  }
  SUBCASE("kv --tp and --mtp-speculative-tokens on the command line") {
    const auto ok = testing::run({"kv", "qwen3-235b-a22b", "-c", "1000", "--engine", "sglang",
                                  "--tp", "8", "--format", "json"});
    REQUIRE(ok.exit_code == 0);
    const auto json = nlohmann::json::parse(ok.out);
    CHECK(json["architectures"][0]["rows"][0]["kv_bytes"] == 48128000);
    CHECK(json["architectures"][0]["paper"]["rows"][0]["kv_bytes"] == 48128000);
    const auto text =
        testing::run({"kv", "qwen3-235b-a22b", "-c", "1000", "--engine", "vllm", "--tp", "8"});
    CHECK(text.out.find("sizes per GPU of --tp 8") != std::string::npos);
    const auto llama = testing::run({"kv", "llama-3-8b", "--engine", "llama.cpp", "--tp", "2"});
    CHECK(llama.exit_code != 0);
    CHECK(llama.err.find("--engine vllm, sglang or paper") != std::string::npos);
    const auto drafted =
        testing::run({"kv", "qwen3.5-27b", "--engine", "sglang", "--mtp-speculative-tokens", "3"});
    CHECK(drafted.exit_code != 0);
  }
}

}  // namespace attnsim

namespace attnsim {

// llama.cpp's sequence slots: -np N streams of cells, or one unified stream (engine_streams.cpp).
TEST_CASE("engine_memory with llama.cpp's sequence slots (--parallel, --kv-unified)") {
  const EngineProfile server = load_engine_profile("llama-server");
  const EngineProfile libllama = load_engine_profile("llama.cpp");
  const auto slots = [](std::uint64_t n, bool unified) {
    EngineRun run;
    run.parallel = n;
    run.kv_unified = unified;
    return run;
  };
  const auto mib = [](std::uint64_t bytes) { return fmt::format("{:.2f}", bytes / 1048576.0); };
  SUBCASE("Llama 3 8B, llama-server -c 8192 -np 4: four streams of 2,048 cells (published)") {
    // The KV calculator's validation note, run 2 (stored file id 70947194673): "llama_kv_cache:
    // size = 1024.00 MiB (  2048 cells,  32 layers,  4/4 seqs), K (f16):  512.00 MiB, V (f16):
    // 512.00 MiB". An explicit -np keeps kv_unified off: 4 streams × 2,048 cells × 32 layers ×
    // 2,048 B (K and V of 8 heads × 128 in f16) = 1,073,741,824 B. attnsim's rows: 4 sequences
    // of 2,048 tokens (-c = 4 × 2,048).
    const auto report =
        engine_memory(load_architecture("llama-3-8b"), {2048}, 4, server, {}, slots(4, false));
    CHECK(report.rows[0].kv_bytes == 1073741824ull);
    CHECK(mib(report.rows[0].kv_bytes) == "1024.00");
    // One busy sequence of the four still has all four streams allocated.
    CHECK(engine_memory(load_architecture("llama-3-8b"), {2048}, 1, server, {}, slots(4, false))
              .rows[0]
              .kv_bytes == 1073741824ull);
  }
  SUBCASE("llama-server's default: 4 slots in one unified stream of n_ctx cells (published)") {
    // A llama-server b7342 log (Qwen3-Coder-30B-A3B-Instruct Q8_0, --ctx-size 65536, no -np;
    // stored file id 28957180799): "main: setting n_parallel = 4 and kv_unified = true",
    // "llama_kv_cache: size = 6144.00 MiB ( 65536 cells,  48 layers,  4/1 seqs), K (f16):
    // 3072.00 MiB, V (f16): 3072.00 MiB". Its print_info: 48 layers, n_head_kv 4, head 128.
    // 65,536 cells × 48 layers × 2 × 4 × 128 × 2 B = 6,442,450,944 B = 6,144 MiB.
    const Architecture coder = testing::load_text(testing::architecture_yaml(
        "  attn: {kind: softmax_attn, n_heads: 32, n_kv_heads: 4, head_dim: 128}", "  mixer: attn",
        48));
    const auto report = engine_memory(coder, {65536}, 1, server);
    CHECK(report.rows[0].kv_bytes == 6442450944ull);
    CHECK(mib(report.rows[0].kv_bytes) == "6144.00");
    // Four sequences of 16,384 tokens share the same 65,536 cells.
    CHECK(engine_memory(coder, {16384}, 4, server).rows[0].kv_bytes == 6442450944ull);
    // A fifth sequence needs a fifth slot.
    CHECK_THROWS_WITH_AS(engine_memory(coder, {16384}, 5, server), doctest::Contains("--parallel"),
                         UserError);
  }
  SUBCASE("Gemma 3 27B: the SWA cache per stream, or W × N + 512 cells when unified") {
    // 8,192 B per token and layer (2 × 16 × 128 × 2 B); 10 global + 52 sliding layers (W 1,024).
    const auto gemma = load_architecture("gemma-3-27b");
    // -np 2, two sequences of 4,096: 2 streams × (10 × 4,096 + 52 × pad256(min(4,096, 1,536)) =
    // 1,536 cells) × 8,192 = 2 × (335,544,320 + 654,311,424) = 1,979,711,488 B (llama-server
    // logs of a W = 1,024 model at -c 8192 -np 2: 'creating SWA KV cache, size = 1536 cells').
    CHECK(engine_memory(gemma, {4096}, 2, server, {}, slots(2, false)).rows[0].kv_bytes ==
          1979711488ull);
    // -np 2 --kv-unified, two sequences of 8,192: one stream of 16,384 cells for the 10 global
    // layers = 1,342,177,280, and pad256(min(16,384, 1,024 × 2 + 512)) = 2,560 cells for the 52
    // sliding ones = 1,090,519,040: 2,432,696,320 B.
    CHECK(engine_memory(gemma, {8192}, 2, server, {}, slots(2, true)).rows[0].kv_bytes ==
          2432696320ull);
    // libllama's swa_full: every layer n_ctx cells, 62 × 16,384 × 8,192 = 8,321,499,136.
    CHECK(engine_memory(gemma, {8192}, 2, libllama, {}, slots(2, true)).rows[0].kv_bytes ==
          8321499136ull);
  }
  SUBCASE("Qwen3.5-27B: one recurrent cell per slot, unified or not") {
    // Per slot 48 GDN layers: R 5,898,240 + S 150,994,944 = 156,893,184 B (the motlie log's
    // 149.62 MiB); llama-server's default 4 slots hold 4 cells: 627,572,736 B. Attention: 16
    // layers × 2 × 4 × 256 × 2 B = 65,536 B per cell × 32,768 cells = 2,147,483,648 B.
    const auto report = engine_memory(load_architecture("qwen3.5-27b"), {32768}, 1, server);
    CHECK(report.rows[0].state_bytes == 4ull * 156893184);
    CHECK(report.rows[0].kv_bytes == 2147483648ull);
    CHECK(report.state_bytes_per_sequence == 156893184);
  }
  SUBCASE("--parallel and --kv-unified belong to the llama.cpp engines") {
    const auto llama = load_architecture("llama-3-8b");
    CHECK_THROWS_WITH_AS(
        engine_memory(llama, {1024}, 1, load_engine_profile("vllm"), {}, slots(4, false)),
        doctest::Contains("--engine llama.cpp or llama-server"), UserError);
    const auto result = testing::run({"kv", "llama-3-8b", "-c", "2k", "--batch", "4", "--engine",
                                      "llama-server", "--parallel", "4", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["architectures"][0]["rows"][0]["kv_bytes"] ==
          1073741824);
    const auto text = testing::run({"kv", "llama-3-8b", "-c", "16k", "--engine", "llama-server"});
    CHECK(text.out.find("llama.cpp -np 4 --kv-unified") != std::string::npos);
  }
}

TEST_CASE("engine_memory: DeepSeek V4 under SGLang (deepseek_v4_memory_pool.py @ 007bddd4)") {
  const auto sglang = load_engine_profile("sglang");
  // Records: window and compressed entries 448 fp8 NoPE + 448 / 64 = 7 one-byte scales + 1 pad +
  // 64 × 2 B RoPE = 584 B (the pool asserts 448 + 64·2 + 8); indexer keys 128 + 4 = 132 B.
  // Pages of 256 tokens, each padded to a multiple of 576 B:
  //   window   256 entries × 584 = 149,504 → 260 × 576 = 149,760
  //   C4        64 entries × 584 =  37,376 →  65 × 576 =  37,440; indexer 64 × 132 = 8,448
  //   C128       2 entries × 584 =   1,168 →   3 × 576 =   1,728
  SUBCASE("the stored records") {
    const auto layers = engine_layers(load_architecture("deepseek-v4-flash"), sglang);
    const LayerCache& csa = layers[2];  // compress_ratios[2] == 4
    REQUIRE(csa.growing.size() == 3);
    CHECK(csa.block_tokens == 256);
    CHECK(csa.growing[0].bytes_per_token == 584);
    CHECK(csa.growing[1].bytes_per_token == 584);
    CHECK(csa.growing[1].tokens_per_entry == 4);
    CHECK(csa.growing[2].bytes_per_token == 132);
    CHECK(csa.growing[2].page_bytes_multiple == 1);
  }
  SUBCASE("DeepSeek-V4-Flash: 43 windows, 21 C4 + indexer, 20 C128, any CUDA GPU") {
    // L = 1,000: 4 pages; the window holds 4 − ⌊(1000 − 128) / 256⌋ = 1 page
    //   43 × 149,760 + 21 × 4 × (37,440 + 8,448) + 20 × 4 × 1,728
    //   = 6,439,680 + 3,854,592 + 138,240 = 10,432,512
    // L = 1,048,576: 4,096 pages, the window 4,096 − ⌊1,048,448 / 256⌋ = 1 page
    //   6,439,680 + 21 × 4,096 × 45,888 + 20 × 4,096 × 1,728
    //   = 6,439,680 + 3,947,102,208 + 141,557,760 = 4,095,099,648
    const auto arch = load_architecture("deepseek-v4-flash");
    for (const std::optional<std::uint64_t> sm :
         {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{90},
          std::optional<std::uint64_t>{100}}) {
      const auto report = engine_memory(arch, {1000, 1048576}, 1, sglang, {}, sm);
      CHECK(report.rows[0].kv_bytes == 10432512);
      CHECK(report.rows[1].kv_bytes == 4095099648);
    }
  }
  SUBCASE("DeepSeek-V4-Pro at 1M: 5.46 GiB against the paper's bf16 9.62 GiB") {
    // 61 × 149,760 + 30 × 4,096 × 45,888 + 31 × 4,096 × 1,728
    //   = 9,135,360 + 5,638,717,440 + 219,414,528 = 5,867,267,328
    const auto report =
        engine_memory(load_architecture("deepseek-v4-pro"), {1048576}, 1, sglang, {}, 100);
    CHECK(report.rows[0].kv_bytes == 5867267328);
  }
  SUBCASE("--kv-dtype bf16 keeps the paper's entries in 256-token pages, unpadded") {
    // L = 1,000, Flash: window 43 × 256 × 1024 = 11,272,192; C4 21 × 256 × (1024 + 256);
    // C128 20 × 8 × 1024 (1,024 tokens in pages: 256 C4 and 8 C128 entries) = 163,840
    CacheDTypeOverrides bf16;
    bf16.kv_cache = DType::bf16;
    const auto report =
        engine_memory(load_architecture("deepseek-v4-flash"), {1000}, 1, sglang, bf16);
    CHECK(report.rows[0].kv_bytes == 11272192 + 21 * 256 * 1280 + 163840);
  }
}

TEST_CASE("engine_layers: vLLM refuses head size 256 in 16-token blocks on SM 10.x (PR #27994)") {
  const auto vllm = load_engine_profile("vllm");
  // FlashInferMetadataBuilder asserts block_size != 16 for head_dim 256 on SM 10.x; nothing
  // raises a non-hybrid model's default block of 16, so vLLM does not start
  for (const auto& name : {"gemma-3-1b", "gemma-3-4b", "gemma-3-12b", "gemma-3n-e4b"})
    for (const std::uint64_t sm : {100, 103}) {
      CAPTURE(name);
      CAPTURE(sm);
      try {
        engine_layers(load_architecture(name), vllm, {}, sm);
        FAIL("expected vLLM to refuse");
      } catch (const UserError& error) {
        CHECK(error.where().file.ends_with("vllm.yaml"));
        CHECK(error.where().line > 0);
        CHECK(error.key_path() == "gpu_defaults[1].refused_block_tokens_by_head_dim.256");
        CHECK(std::string(error.what()).find("16-token pages") != std::string::npos);
      }
    }
  // Hopper, SM 12.0, head size 128 (Gemma 3 27B) and hybrids (Qwen3-Next's 544-token block) start
  CHECK_NOTHROW(engine_layers(load_architecture("gemma-3-4b"), vllm, {}, 90));
  CHECK_NOTHROW(engine_layers(load_architecture("gemma-3-4b"), vllm, {}, 120));
  CHECK_NOTHROW(engine_layers(load_architecture("gemma-3-4b"), vllm));
  CHECK_NOTHROW(engine_layers(load_architecture("gemma-3-27b"), vllm, {}, 100));
  CHECK_NOTHROW(engine_layers(load_architecture("qwen3-next-80b-a3b"), vllm, {}, 100));
}

}  // namespace attnsim
