// Closed-form core FLOPs and cache size of MLA (mixers-spec §2), for the cost model. Pure
// functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"

namespace attnsim::mla {

struct Shapes {
  std::int64_t H = 1;   // heads
  std::int64_t dn = 1;  // qk_nope_head_dim
  std::int64_t dr = 0;  // qk_rope_head_dim
  std::int64_t dv = 1;  // v_head_dim
  std::int64_t dc = 1;  // kv_lora_rank
};

// Naive (materialised MHA) form, one sequence: "kv_expansion" H·Tk·dc·(dn+dv) multiply-adds,
// then MHA with D = dn + dr, Dv = dv ("scores", "av"; see softmax_attn::core_flops). With
// `topk`, the DSA form: each query attends to min(topk, visible) keys.
FlopCounts core_flops_naive(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                            std::int64_t query_block, std::optional<std::int64_t> topk = {});

// Absorbed (MQA over the latent) form: "q_absorption" H·Tq·dn·dc, MQA with D = dc + dr and
// Dv = dc, "output_projection" H·Tq·dc·dv. Decode (Tq = 1, Tk = L):
// 2·H·dc·(dn+dv) + 2·H·L·(2·dc + dr) FLOPs, as mixers-spec §2.
FlopCounts core_flops_absorbed(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                               std::int64_t query_block, std::optional<std::int64_t> topk = {});

// Latent cache per token: dc + dr (normalised c_kv and post-RoPE k_pe).
std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens);

// YaRN: mscale = 0.1·mscale_cfg·ln(factor) + 1 (1 for factor ≤ 1); the softmax scale is
// (dn + dr)^−1/2 · mscale².
double yarn_mscale(double factor, double mscale_cfg);

}  // namespace attnsim::mla
