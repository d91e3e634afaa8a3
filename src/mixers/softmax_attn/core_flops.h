// Closed-form core FLOPs and KV-cache sizes of causal softmax attention (mixers-spec §1),
// for the cost model. Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"

namespace attnsim::softmax_attn {

struct Shapes {
  std::int64_t Hq = 1;   // query heads
  std::int64_t Hkv = 1;  // key/value heads (Hq % Hkv == 0)
  std::int64_t D = 1;    // query/key head dim
  std::int64_t Dv = 1;   // value head dim
};

// One sequence: Tq new queries at positions Tk − Tq … Tk − 1 against Tk keys, queries processed
// in blocks of `query_block` that each compute the key range visible to any of their rows.
// Categories "scores" (q·k) and "av" (p·v). With query_block = 1 this is the masked-work-free
// count of the spec: 2·Hq·(D + Dv)·Σ_i n_i, n_i = keys visible to query i.
FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, std::int64_t query_block);

// Σ over query blocks of rows · keys in the block's visible range (the pairs core_flops counts).
double attended_pairs(std::int64_t Tq, std::int64_t Tk, std::optional<std::int64_t> window,
                      std::int64_t query_block);

// DSA: each query attends only to min(topk, visible keys) selected keys (full causal).
FlopCounts core_flops_selected(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                               std::int64_t topk);
// Σ_i min(topk, Tk − Tq + i + 1).
double selected_pairs(std::int64_t Tq, std::int64_t Tk, std::int64_t topk);

// KV cache elements of one sequence holding `tokens` tokens: Hkv·(D + Dv) per token, capped
// at W tokens with a sliding window.
std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens,
                               std::optional<std::int64_t> window);

}  // namespace attnsim::softmax_attn
