// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2, Kimi Linear's global layers): the cache
// holds one compressed latent c_kv and one shared RoPE key per token, whatever the head count.
#pragma once

#include <cstdint>
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

MlaShape read_mla_shape(config::MapReader& reader);
MixerKind kind_info();

}  // namespace attnsim::mla
