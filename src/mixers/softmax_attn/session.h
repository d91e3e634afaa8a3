// The reference facet of softmax attention (mixers/reference.h), and the KV cache its session
// keeps, shared with the other attention kinds' sessions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mixers/reference.h"
#include "mixers/softmax_attn/mixer.h"

namespace attnsim::softmax_attn {

const reference::Facet& facet();
// Hq, Hkv, D, Dv and the window; nullopt for chunked local attention (no reference form).
std::optional<reference::Binding> binding(const AttentionShape& shape);

// The keys and values a session holds: k [B, L, Hkv, D], v [B, L, Hkv, Dv] (or any [B, L, ...]
// latent) with the positions of their tokens.
struct KvHistory {
  std::vector<Tensor*> tensors;         // what grows by one row per token
  std::vector<std::int64_t> positions;  // of the held tokens, increasing
  // Appends `fresh` (one tensor per held one) at `given` positions or the next ones.
  void append(const std::vector<const Tensor*>& fresh, std::vector<std::int64_t> given);
  // The positions of the last `tokens` tokens (the queries of a step), unless `given`.
  std::vector<std::int64_t> query_positions(std::int64_t tokens,
                                            std::vector<std::int64_t> given) const;
  // Keeps the last `window` tokens (a sliding window's ring buffer).
  void trim(std::int64_t window);
};

}  // namespace attnsim::softmax_attn
