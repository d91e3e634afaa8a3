// Phi-4-mini-flash-reasoning (SambaY): parameters, tensor names, KV cache and state, and FLOPs of
// the shipped file against hand arithmetic from modeling_phi4flash.py and the checkpoint's
// model.safetensors.index.json (franciskamande-ai/cloned_models @711ebe7d, Phi-4-mini-flash-
// reasoning/).
#include <doctest/doctest.h>

#include <set>

#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "import/hf_tensor_names.h"

namespace attnsim {

namespace {
constexpr std::uint64_t D = 2560, V = 200064, d_inner = 5120, ff = 10240;
}  // namespace

TEST_CASE("phi-4-mini-flash-reasoning") {
  const Architecture arch = load_architecture("phi-4-mini-flash-reasoning");

  SUBCASE("parameters, layer by layer (modeling_phi4flash.py)") {
    // Mamba-1 (9): in_proj 2560·10240 = 26,214,400; conv 5,120·4 = 20,480 + bias 5,120;
    // x_proj 5,120·(160 + 32) = 983,040; dt_proj 160·5,120 = 819,200 + bias 5,120;
    // A_log 5,120·16 = 81,920; D 5,120; out_proj 5,120·2,560 = 13,107,200.
    const std::uint64_t mamba =
        26214400 + 20480 + 5120 + 983040 + 819200 + 5120 + 81920 + 5120 + 13107200;
    CHECK(mamba == 41241600);
    // Self-decoder differential attention (9): Wqkv 2,560·(2,560 + 2·1,280) = 13,107,200 + bias
    // 5,120; out_proj 6,553,600 + bias 2,560; λ 4·64; subln 128.
    const std::uint64_t self_attn = 13107200 + 5120 + 6553600 + 2560 + 256 + 128;
    // Cross-decoder (7): Wqkv makes q only, 2,560·2,560 + bias 2,560.
    const std::uint64_t cross_attn = 6553600 + 2560 + 6553600 + 2560 + 256 + 128;
    // GMU (7): in_proj 2,560·5,120 + out_proj 5,120·2,560.
    const std::uint64_t gmu = 2 * D * d_inner;
    // Every layer: fc1 2,560·20,480 + fc2 10,240·2,560 and two LayerNorms (weight + bias).
    const std::uint64_t block = D * 2 * ff + ff * D + 2 * 2 * D;
    const std::uint64_t total = V * D /* tied */ + 2 * D /* final norm */ + 32 * block + 9 * mamba +
                                9 * self_attn + 7 * cross_attn + 7 * gmu;
    CHECK(total == 3852562944);
    const ParamReport report = model_params(arch);
    CHECK(report.total == total);
    CHECK(report.active == total);  // tied: the table is the lm head, which every token uses
    // The checkpoint stores A_log (9 × 5,120 × 16) and the λ vectors (16 × 4 × 64) in float32
    // (created so in the modeling code) and everything else in bf16: total_size of
    // model.safetensors.index.json is 7,706,608,640 bytes.
    const std::uint64_t fp32 = 9 * d_inner * 16 + 16 * 4 * 64;
    CHECK(2 * (total - fp32) + 4 * fp32 == 7706608640);
  }

  SUBCASE("tensor names are the checkpoint's (model.safetensors.index.json, indices folded)") {
    std::set<std::string> names;
    for (const auto& tensor : import::transformers_tensors(arch)) names.insert(tensor.name);
    const std::set<std::string> checkpoint = {"model.embed_tokens.weight",
                                              "model.final_layernorm.bias",
                                              "model.final_layernorm.weight",
                                              "model.layers.*.attn.A_log",
                                              "model.layers.*.attn.D",
                                              "model.layers.*.attn.conv1d.bias",
                                              "model.layers.*.attn.conv1d.weight",
                                              "model.layers.*.attn.dt_proj.bias",
                                              "model.layers.*.attn.dt_proj.weight",
                                              "model.layers.*.attn.in_proj.weight",
                                              "model.layers.*.attn.out_proj.weight",
                                              "model.layers.*.attn.x_proj.weight",
                                              "model.layers.*.attn.Wqkv.bias",
                                              "model.layers.*.attn.Wqkv.weight",
                                              "model.layers.*.attn.inner_cross_attn.lambda_k1",
                                              "model.layers.*.attn.inner_cross_attn.lambda_k2",
                                              "model.layers.*.attn.inner_cross_attn.lambda_q1",
                                              "model.layers.*.attn.inner_cross_attn.lambda_q2",
                                              "model.layers.*.attn.inner_cross_attn.subln.weight",
                                              "model.layers.*.attn.out_proj.bias",
                                              "model.layers.*.input_layernorm.bias",
                                              "model.layers.*.input_layernorm.weight",
                                              "model.layers.*.mlp.fc1.weight",
                                              "model.layers.*.mlp.fc2.weight",
                                              "model.layers.*.post_attention_layernorm.bias",
                                              "model.layers.*.post_attention_layernorm.weight"};
    CHECK(names == checkpoint);
    for (const auto& tensor : import::transformers_tensors(arch)) {
      CAPTURE(tensor.name);
      // in_proj: 9 Mamba + 7 GMU layers; Wqkv: 9 self + 7 cross attention layers
      if (tensor.name == "model.layers.*.attn.in_proj.weight") {
        CHECK(tensor.layers == 16);
        CHECK(tensor.elements == 9 * D * 2 * d_inner + 7 * D * d_inner);
      }
      if (tensor.name == "model.layers.*.attn.Wqkv.weight") {
        CHECK(tensor.layers == 16);
        CHECK(tensor.elements == 9 * D * 5120 + 7 * D * 2560);
      }
      if (tensor.name == "model.layers.*.attn.out_proj.weight") CHECK(tensor.layers == 32);
    }
  }

  SUBCASE("KV cache: 8 ring buffers of 512 tokens and one full cache, read by 7 more layers") {
    // Per layer and token: K and V of 20 kv heads × 64 = 2,560 elements × 2 bytes = 5,120 B.
    const MemoryReport report = kv_memory(arch, {256, 131072}, 1);
    CHECK(report.kv_bytes_per_token == 9 * 5120);
    CHECK(report.rows[0].kv_bytes == 9 * 5120 * 256);
    CHECK(report.rows[1].kv_bytes == 8 * 5120 * 512 + 5120 * 131072);
    // Mamba layers: ssm 5,120·16 + conv 3·5,120 = 97,280 elements × 2 bytes, 9 layers; GMUs and
    // cross-decoder attention keep nothing.
    CHECK(report.state_bytes_per_sequence == 9 * 97280 * 2);
  }

  SUBCASE("FLOPs of one decode step: the cross-decoder computes no k, v") {
    // Projections, 2 FLOPs per weight: Mamba (in, x, dt, out) 41,123,840; self attention
    // 19,660,800; cross attention 13,107,200; GMU 26,214,400; MLP 78,643,200.
    const double projections =
        9.0 * 41123840 + 9.0 * 19660800 + 7.0 * 13107200 + 7.0 * 26214400 + 32.0 * 78643200;
    const FlopReport flops = model_flops(arch, 1, 4096, {});
    double measured = 0.0;
    for (const FlopRow& row : flops.rows)
      if (row.operation == "projections" || row.operation == "mlp") measured += row.decode;
    CHECK(measured == doctest::Approx(2.0 * projections));
  }
}

}  // namespace attnsim
