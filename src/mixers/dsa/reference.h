// Reference execution of DSA, DeepSeek Sparse Attention (mixers-spec §3): the lightning indexer
// (half-split RoPE on the leading features, ReLU per head before the weighted head sum), top-k
// with ties to the lower index, and attention restricted to the selected keys, on top of generic
// GQA/MQA or of MLA. The indexer runs at its own precision (IndexerOptions::precision): the
// session gives it the run's unless `indexer_dtype` says otherwise, since a float32 indexer may
// select a different set than a float64 one where scores are within float32's rounding (§3
// "Top-k ties").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/dsa/core_flops.h"
#include "mixers/mla/reference.h"
#include "mixers/softmax_attn/reference.h"

namespace attnsim::dsa {

struct IndexerInputs {
  Tensor index_q;                         // [B, Tq, HI, dI], layout [rope part | no-rope part]
  Tensor index_k;                         // [B, Tk, dI], one key head (after LayerNorm)
  Tensor index_w;                         // [B, Tq, HI], head weights (may be negative)
  std::vector<std::int64_t> q_positions;  // empty = bottom-right default
  std::vector<std::int64_t> k_positions;
};

struct IndexerOptions {
  std::int64_t topk = 2048;
  std::optional<double> index_scale;   // default dI^−1/2
  std::optional<double> weight_scale;  // default HI^−1/2
  std::int64_t rope_dim = 0;           // leading features rotated (half-split); 0 = no RoPE
  double rope_theta = 10000.0;
  std::int64_t query_block = 64;
  // The scores' arithmetic. float32 rounds the rotated queries and keys and sums in float32
  // (as real indexers run in FP8/bf16); float64 makes a float32 run select float64's keys.
  Precision precision = Precision::float64;
};

struct Selection {
  Tensor index_q_rot;        // [B, Tq, HI, dI]
  Tensor index_k_rot;        // [B, Tk, dI]
  Tensor index_scores;       // [B, Tq, Tk], −inf where the key is not visible; at the
                             // indexer's precision (float32 values widened exactly)
  IndexTensor topk_indices;  // [B, Tq, topk], by score descending, padded with −1
  IndexTensor selected;      // [B, Tq, Tk], 0/1
  OpCounts counts;
};

// I[i, j] = Σ_h (w[i,h]·weight_scale) · ReLU(index_scale · RoPE(qI)[i,h] · RoPE(kI)[j]).
Selection run_indexer(const IndexerInputs& inputs, const IndexerOptions& options);

struct Result {
  Selection selection;
  Tensor o;                         // [B, Tq, H, Dv]
  Tensor lse;                       // [B, Tq, H]
  OpCounts counts;                  // indexer + attention
  std::int64_t cache_elements = 0;  // attention cache + index keys B·Tk·dI
};

// Positions left empty in `attention` are taken from `indexer`.
Result run_on_attention(const IndexerInputs& indexer, const IndexerOptions& indexer_options,
                        softmax_attn::Inputs attention, softmax_attn::Options attention_options);
Result run_on_mla(const IndexerInputs& indexer, const IndexerOptions& indexer_options,
                  mla::Inputs attention, mla::Options attention_options);

}  // namespace attnsim::dsa
