// Closed-form core FLOPs and KV cache of differential attention (mixers-spec-new §B "Cost"),
// for the cost model. Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"

namespace attnsim::diff_attn {

struct Shapes {
  std::int64_t H = 2;    // HF query heads (H/2 differential heads)
  std::int64_t Hkv = 2;  // HF key/value heads (Hkv/2 kv pairs)
  std::int64_t D = 1;    // HF head dim: query/key width, half the value width
};

// two_pass: each map A¹, A² times the 2D-wide value (HF / flash-attn, as specified);
// combined: A¹ − λA² first, then one product with the value.
enum class Form { two_pass, combined };

// Tq queries at positions Tk − Tq … Tk − 1 against Tk keys (optional window W), in blocks of
// `query_block` rows that each compute the key range visible to any of their rows (1: no masked
// work, the spec's count). With n_i the keys query i sees and Σ = Σ_i n_i, per differential head
// (H/2 of them)
//   two_pass: "scores" 2·Σ·D (both maps), "av" 2·Σ·2D          → 6·H·n·D FLOPs per query
//   combined: "scores" 2·Σ·D, "combine" Σ (A¹ − λA²), "av" Σ·2D → 4·H·n·D + H·n
// multiply-adds. Softmax, λ, subln and the (1 − λ_init) scale are not counted.
FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, Form form, std::int64_t query_block = 1);
// The same for `pairs` (query, visible key) pairs in all.
FlopCounts core_flops_for_pairs(const Shapes& shapes, double pairs, Form form);

// KV cache of one sequence holding `tokens` tokens: 2·Hkv·D per token (k and v of the HF kv
// heads), at most W tokens with a window.
std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens,
                               std::optional<std::int64_t> window);

// λ_init = 0.8 − 0.6·exp(−0.3·depth), depth the 0-based layer index.
double lambda_init(std::int64_t depth);

}  // namespace attnsim::diff_attn
