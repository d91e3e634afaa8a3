// Zamba2-7B (architectures/zamba2-7b.yaml): a shared transformer block invoked at 13 depths keeps
// KV per invocation but counts its weights once (layers: weights_shared_from), checked against
// arithmetic written out here.
#include <doctest/doctest.h>

#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("zamba2-7b: KV per invocation, weights of the two shared blocks once") {
  const Architecture zamba = load_architecture("zamba2-7b");
  const MemoryReport report = kv_memory(zamba, {4096}, 1);
  // 13 invocations · 2 (K, V) · 32 heads · 224 · 2 B.
  CHECK(report.kv_bytes_per_token == 13 * 2 * 32 * 224 * 2);
  // 81 Mamba-2 layers · (112 · 64 · 64 + 3 · (7168 + 2 · 2 · 64)) · 2 B.
  CHECK(report.state_bytes_per_sequence == 81ULL * (112 * 64 * 64 + 3 * (7168 + 4 * 64)) * 2);
  // The 13 attention + MLP layers hold the weights of two blocks: against a copy of the file in
  // which every invocation owns its weights, 11 blocks fewer.
  const ParamReport shared = model_params(zamba);
  std::size_t invocations = 0, owners = 0;
  for (const auto& layer : zamba.layers)
    if (layer.mixer && layer.mixer->kind() == "softmax_attn") {
      ++invocations;
      if (!layer.weights_shared_from) ++owners;
    }
  CHECK(invocations == 13);
  CHECK(owners == 2);
  // One block: attention D·(32·224·3) + 32·224·D, GeGLU MLP 3·D·14336, two pre-norms of D.
  const std::uint64_t D = 3584;
  const std::uint64_t block = D * (32 * 224 * 3) + 32 * 224 * D + 3 * D * 14336 + 2 * D;
  // Mamba-2 (mamba_ssm defaults: conv bias, gated norm, no projection biases): in_proj
  // D·(2·7168 + 2·2·64 + 112), conv (7168 + 256)·(4 + 1), A_log/dt_bias/D 3·112, norm 7168,
  // out_proj 7168·D, pre-norm D.
  const std::uint64_t mamba = D * (2 * 7168 + 2 * 2 * 64 + 112) + (7168 + 256) * 5 + 3 * 112 +
                              7168 + 7168 * D + D;
  // Embeddings (tied): 32000·D, final norm D.
  CHECK(shared.total == 2 * block + 81 * mamba + 32000 * D + D);
}

}  // namespace attnsim
