// Causal softmax attention (MHA, GQA and MQA are one kind), optionally with a sliding window
// (Gemma 3 local layers), chunked local attention (Llama 4) or no positional encoding (NoPE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mixers/mixer.h"

namespace attnsim::softmax_attn {

// Head geometry shared by every softmax-attention variant (also used by gated_attn).
struct AttentionShape {
  std::uint64_t n_heads = 0;            // Hq
  std::uint64_t n_kv_heads = 0;         // Hkv
  std::uint64_t head_dim_k = 0;         // Dk (query/key)
  std::uint64_t head_dim_v = 0;         // Dv
  std::optional<std::uint64_t> window;  // W: a query sees itself and the W−1 keys before it
  std::optional<std::uint64_t> chunk;   // local attention within aligned chunks of this size
  bool rope = true;                     // false: a NoPE layer
};

// Reads n_heads, n_kv_heads, head_dim (or head_dim_k + head_dim_v), window, chunk, rope and
// checks that the query heads divide into the kv heads.
AttentionShape read_attention_shape(config::MapReader& reader);
std::string describe(const AttentionShape& shape);
// Hkv·(Dk + Dv) per token, kept for at most W (or chunk) tokens.
CacheTerm kv_term(const AttentionShape& shape);
// "full_attn", "sliding_attn", "chunked_attn" or "nope_attn", with `prefix` in front.
std::string attention_layer_kind(const AttentionShape& shape, std::string_view prefix);

MixerKind kind_info();

}  // namespace attnsim::softmax_attn
