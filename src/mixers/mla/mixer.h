// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2, Kimi Linear's global layers): the cache
// holds one compressed latent c_kv and one shared RoPE key per token, whatever the head count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mixers/mixer.h"

namespace attnsim::mla {

struct MlaShape {
  std::uint64_t n_heads = 0;           // H
  std::uint64_t q_lora_rank = 0;       // 0: queries are projected directly (no q latent)
  std::uint64_t kv_lora_rank = 0;      // dc
  std::uint64_t qk_nope_head_dim = 0;  // dn
  std::uint64_t qk_rope_head_dim = 0;  // dr
  std::uint64_t v_head_dim = 0;        // dv
};

const FieldTable& fields();
MlaShape mla_shape(const FieldValues& values);
// Weights (DeepSeek-V3 modeling): "projections" q_a D·q + q_b q·H·(dn+dr) (or q D·H·(dn+dr)
// without a q latent), kv_a D·(dc+dr), o H·dv·D; "latent_up" kv_b dc·H·(dn+dv), kept apart
// because the core FLOPs count it (kv_expansion or absorption); "norms" q_a_norm + kv_a_norm.
ParamCounts mla_params(const MlaShape& shape, Count d_model);
// The same tensor by tensor, as DeepseekV3Attention names them (q_a_proj, q_a_layernorm, q_b_proj
// or q_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj); mla_params is their sum.
std::vector<WeightTensor> mla_tensors(const MlaShape& shape, Count d_model);
// Prefill in the naive (materialised) form, decode in the absorbed form — what DeepSeek's
// inference code runs — plus the projections. `topk` restricts attention to selected keys (DSA).
FlopCounts mla_prefill_flops(const MlaShape& shape, const FlopContext& context,
                             std::uint64_t tokens, std::optional<std::uint64_t> topk);
FlopCounts mla_decode_flops(const MlaShape& shape, std::uint64_t d_model,
                            std::uint64_t context_tokens, std::optional<std::uint64_t> topk);
MixerKind kind_info();

}  // namespace attnsim::mla
