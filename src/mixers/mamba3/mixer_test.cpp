// Tests of the Mamba-3 cost class: parameters, decode state and FLOPs of an instance against
// hand arithmetic, and its field checks.
#include "mixers/mamba3/mixer.h"

#include <doctest/doctest.h>

#include "cost/memory.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {
namespace {

const Mixer& only_mixer(const Architecture& architecture) {
  REQUIRE(architecture.mixers.size() == 1);
  return *architecture.mixers.begin()->second;
}

std::uint64_t term(const std::vector<CacheTerm>& terms, const std::string& name) {
  for (const CacheTerm& t : terms)
    if (t.name == name) return t.elements_per_sequence;
  FAIL("no cache term " << name);
  return 0;
}

}  // namespace

TEST_CASE("mamba3 Mixer") {
  // H = 4, P = 8, N = 16, G = 2, R = 2 (MIMO), rope_fraction 0.5 → S = ⌊16·0.5⌋/2 = 4; D = 512.
  const Architecture arch = testing::load_text(testing::architecture_yaml(
      "  m: {kind: mamba3, n_heads: 4, head_dim: 8, state_size: 16, n_groups: 2, mimo_rank: 2}",
      "  mixer: m", 2));
  const Mixer& mixer = only_mixer(arch);
  SUBCASE("parameters") {
    const ParamCounts params = mixer.params({512});
    // in_proj 512·(2·32 + 2·G·R·N = 128 + 3·H = 12 + S = 4) = 512·208 = 106,496; out_proj
    // 32·512 = 16,384.
    CHECK(params.at("projections") == 122880);
    CHECK(params.at("biases") == 256);  // B_bias, C_bias: 2·H·R·N = 2·4·2·16
    CHECK(params.at("norms") == 32);    // B_norm, C_norm: 2·N
    CHECK(params.at("gates") == 8);     // dt_bias, D: 2·H
    CHECK(params.at("mimo") == 192);    // mimo_x, mimo_z, mimo_o: 3·H·R·P = 3·4·2·8
    CHECK(mixer.describe() == "H=4 P=8 N=16 G=2 R=2 S=4");
  }
  SUBCASE("decode state: ssm H·P·N, angle H·S (fp32), k R·H·N, v H·P (bf16)") {
    const auto terms = mixer.cache_terms();
    CHECK(term(terms, "ssm state") == 512);   // 4·8·16
    CHECK(term(terms, "angle state") == 16);  // 4·4
    CHECK(term(terms, "k state") == 128);     // 2·4·16
    CHECK(term(terms, "v state") == 32);      // 4·8
    // Per sequence, two layers: (512 + 16)·4 bytes + (128 + 32)·2 bytes = 2,432 per layer.
    const MemoryReport memory = kv_memory(arch, {1000}, 1);
    CHECK(memory.rows.front().kv_bytes == 0);
    CHECK(memory.rows.front().state_bytes == 2 * 2432);
  }
  SUBCASE("FLOPs: projections 2 per weight and token; recurrent and chunked core") {
    FlopContext context{512};
    const FlopCounts decode = mixer.decode_flops(context, 1000);
    CHECK(decode.at("projections") == 2.0 * 122880);
    // 2 rank-R updates and R read-outs: 2·R·P·N = 512 and R·P·N = 256 multiply-adds per head.
    CHECK(decode.at("state_update") == 2.0 * 4 * 512);
    CHECK(decode.at("readout") == 2.0 * 4 * 256);
    // Chunked prefill, T = 10, C = 4 (chunks 4, 4, 2), per head: update R·P·N·(5 + 5 + 3) =
    // 256·13 = 3,328; read 10·256 = 2,560; pairs R²·(10 + 10 + 3) = 92 → scores 92·16 = 1,472,
    // intra 92·8 = 736.
    context.chunk = 4;
    const FlopCounts prefill = mixer.prefill_flops(context, 10);
    CHECK(prefill.at("projections") == 2.0 * 122880 * 10);
    CHECK(prefill.at("state_update") == 2.0 * 4 * 3328);
    CHECK(prefill.at("state_read") == 2.0 * 4 * 2560);
    CHECK(prefill.at("scores") == 2.0 * 4 * 1472);
    CHECK(prefill.at("intra_output") == 2.0 * 4 * 736);
  }
  SUBCASE("SISO without the mimo weights, outproj_norm adds d_inner norm weights") {
    const Architecture siso = testing::load_text(testing::architecture_yaml(
        "  m: {kind: mamba3, n_heads: 4, head_dim: 8, state_size: 16, outproj_norm: true}",
        "  mixer: m", 1));
    const ParamCounts params = only_mixer(siso).params({512});
    CHECK(params.count("mimo") == 0);
    CHECK(params.at("norms") == 32 + 32);  // 2·N + d_inner
  }
  SUBCASE("rejects a rope_fraction other than 0.5 or 1.0 and groups not dividing heads") {
    const auto validate = [](const std::string& mixer) {
      testing::ScratchDir dir;
      return testing::run(
          {"validate",
           dir.write("arch.yaml", testing::architecture_yaml(mixer, "  mixer: m", 2)).string()});
    };
    CHECK(validate("  m: {kind: mamba3, n_heads: 4, head_dim: 8, state_size: 16, "
                   "rope_fraction: 0.75}")
              .exit_code == 2);
    CHECK(validate("  m: {kind: mamba3, n_heads: 4, head_dim: 8, state_size: 16, n_groups: 3}")
              .exit_code == 2);
    CHECK(validate("  m: {kind: mamba3, n_heads: 4, head_dim: 8, state_size: 16}").exit_code == 0);
  }
}

}  // namespace attnsim

namespace attnsim {

TEST_CASE("mamba3 in the hypothetical Qwen3.5-27B hybrid") {
  const MemoryReport memory = kv_memory(
      load_architecture_file(resolve_architecture("qwen3.5-27b-mamba3-hypothetical")), {131072}, 1);
  // Per Mamba-3 layer: H = 48, P = 128, N = 128, R = 4, S = 32: ssm 48·128·128 = 786,432 and
  // angle 48·32 = 1,536 in fp32; k 4·48·128 = 24,576 and v 48·128 = 6,144 in bf16
  // → 4·787,968 + 2·30,720 = 3,213,312 bytes; 48 layers → 154,238,976.
  CHECK(memory.state_bytes_per_sequence == 154238976);
  // The 16 gated-attention layers: 16·2·4·256·2 = 65,536 bytes per token.
  CHECK(memory.kv_bytes_per_token == 65536);
}

}  // namespace attnsim
