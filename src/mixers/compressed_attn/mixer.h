// DeepSeek V4's attention: one shared key=value head (MQA, K = V) over a sliding window of
// recent tokens plus, on compressing layers, entries that pool each group of `compress_ratio`
// tokens — all of them (HCA, ratio 128) or the top-k an indexer selects (CSA, ratio 4).
#pragma once

#include <cstdint>
#include <optional>

#include "mixers/mixer.h"

namespace attnsim::compressed_attn {

struct Shape {
  std::uint64_t n_heads = 0;               // H query heads
  std::uint64_t head_dim = 0;              // D: the shared K=V head (512), RoPE on its tail
  std::uint64_t q_lora_rank = 0;           // q latent: wq_a D → r_q, wq_b r_q → H·D
  std::uint64_t o_lora_rank = 0;           // r_o of the grouped output projection
  std::uint64_t o_groups = 0;              // G: wo_a maps each group's H·D/G to r_o
  std::optional<std::uint64_t> window;     // W; none: every token (the dense baseline)
  std::uint64_t compress_ratio = 0;        // m tokens per compressed entry; 0: none
  bool compressor_overlap = false;         // entries pool 2m tokens (the previous group too)
  std::uint64_t indexer_heads = 0;         // HI; 0: no indexer (attend to every entry)
  std::uint64_t indexer_head_dim = 0;      // dI
  std::uint64_t topk = 0;                  // k entries the indexer selects
  std::optional<DType> indexer_key_dtype;  // default: the model's kv_cache dtype
  std::uint64_t rope_head_dim = 64;        // RoPE'd channels at the end (the kernel only)
};

// Tokens each compressed entry pools: 2m with overlap, else m (the compressor's `coff`·m rows).
std::uint64_t pooled_tokens(const Shape& shape);
// Keys one query at context position L (its own included) attends to: min(L, W) window tokens
// plus ⌊L/m⌋ compressed entries, at most k of them with an indexer.
std::uint64_t attended_keys(const Shape& shape, std::uint64_t context);
MixerKind kind_info();

}  // namespace attnsim::compressed_attn
