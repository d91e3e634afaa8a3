// Closed-form core FLOPs and KV-cache size of Qwen3-Next gated attention (mixers-spec §4), for
// the cost model: the attention core is §1 with Dv = D; norms, RoPE and the gate are elementwise
// and not counted.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"

namespace attnsim::gated_attn {

struct Shapes {
  std::int64_t Hq = 1;
  std::int64_t Hkv = 1;
  std::int64_t D = 1;  // head dim of q, k and v
};

// As softmax_attn::core_flops with Dv = D ("scores", "av").
FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, std::int64_t query_block);

// 2·Hkv·D per cached token.
std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens);

}  // namespace attnsim::gated_attn
