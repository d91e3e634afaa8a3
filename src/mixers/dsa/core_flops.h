// Closed-form core FLOPs and cache size of DSA, DeepSeek Sparse Attention (mixers-spec §3), for
// the cost model: the lightning indexer plus attention over the selected keys.
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "mixers/mla/core_flops.h"
#include "mixers/softmax_attn/core_flops.h"

namespace attnsim::dsa {

struct IndexerShapes {
  std::int64_t HI = 1;  // index_n_heads
  std::int64_t dI = 1;  // index_head_dim
};

// Indexer of one sequence, queries in blocks of `query_block` over their causal key range:
// "index_scores" HI·dI and "index_weights" HI multiply-adds per (query, key) pair computed
// (softmax_attn::attended_pairs). Decode at context L: ≈ 2·HI·dI·L + 2·HI·L FLOPs.
FlopCounts core_flops_indexer(const IndexerShapes& shapes, std::int64_t Tq, std::int64_t Tk,
                              std::int64_t query_block);

// Indexer + GQA/MQA attention restricted to the selection. gathered: only the min(topk,
// visible) selected keys per query are multiplied; otherwise the dense blocked product is masked
// (V3.2's prefill), costing as dense causal attention.
FlopCounts core_flops_on_attention(const IndexerShapes& indexer,
                                   const softmax_attn::Shapes& attention, std::int64_t Tq,
                                   std::int64_t Tk, std::int64_t topk, std::int64_t query_block,
                                   bool gathered);

// Indexer + MLA (naive or absorbed form) restricted to the selection, as above.
FlopCounts core_flops_on_mla(const IndexerShapes& indexer, const mla::Shapes& attention,
                             bool absorbed, std::int64_t Tq, std::int64_t Tk, std::int64_t topk,
                             std::int64_t query_block, bool gathered);

// Indexer key cache: dI per token (stored in FP8 + one fp32 scale per 128 by V3.2).
std::int64_t index_cache_elements(const IndexerShapes& shapes, std::int64_t tokens);

}  // namespace attnsim::dsa
