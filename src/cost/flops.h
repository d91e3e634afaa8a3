// FLOPs of a whole model: a prefill of T tokens and one decode step at context L, summed over
// the layer graph (each layer's mixer through Mixer::prefill_flops/decode_flops, its FFN through
// ffn_flops_per_token) plus the lm head, broken down by layer kind and operation.
//
// FLOPs are doubles on purpose: a 1T-parameter model over a million tokens exceeds 2^64, and
// these are estimates (exact below 2^53). One multiply-add = 2 FLOPs (mixers-spec §0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

struct FlopOptions {
  CausalConvention causal = CausalConvention::half;
  LinearAlgorithm linear = LinearAlgorithm::chunked;
  std::uint64_t chunk = 64;  // C of the chunked algorithm
};

// One operation summed over the model. `group` is a layer kind (Mixer::layer_kind), "ffn" or
// "model" (the lm head). Prefill is the whole T-token prefill of one sequence; decode is one
// token at context L.
struct FlopRow {
  std::string group;
  std::string operation;
  double prefill = 0.0;
  double decode = 0.0;
};

// Conventions: the prefill starts from an empty cache; the decode token sees L tokens (itself
// included). The lm head is counted for every prefill position (2·V·D per token, the 2·N·T
// convention); the embedding lookup costs nothing. Norms, activations, RoPE, softmax and
// gates are elementwise and not counted.
struct FlopReport {
  std::string name;
  std::uint64_t prefill_tokens = 0;  // T
  std::uint64_t decode_context = 0;  // L
  FlopOptions options;
  std::vector<FlopRow> rows;
  double prefill_total = 0.0;
  double decode_total = 0.0;
};

// The work around the blocks — Gemma 3n's (ModelDims::per_layer_embeddings, altup_inputs,
// laurel_rank) as transformers' Gemma3nTextModel runs it, DeepSeek V4's hyper-connections as its
// reference model.py does; their weights in cost/params.cpp — per token: each matrix product
// (in → out features) and the mixing of the residual streams (AltUp's K, the hyper-connections' n).
// model_flops counts each product at 2 FLOPs per weight, and the measured step time
// (cost/step_time.h) runs each as a GEMM of this shape and the mixing as elementwise kernels.
struct BlockExtraOp {
  std::string group;         // cost/params.h's kPerLayerEmbeddings, kAltUp, kLaurel, ...
  std::string name;          // the module, or "predict"/"correct"/"pre"/"post" for stream mixing
  double count = 1;          // runs per token (a per-layer part runs once per layer invocation)
  double in_features = 0;    // a matrix product's shape; both 0 for the stream mixing
  double out_features = 0;   //
  double mixing_flops = 0;   // the stream mixing: FLOPs of one run for one token
  double mixing_values = 0;  // the stream mixing: values one run reads (and writes) per token
  bool matmul() const { return in_features > 0.0; }
  double flops() const { return matmul() ? 2.0 * in_features * out_features : mixing_flops; }
};
// `layers`: the layer invocations of one forward pass (a looped stack runs them again).
std::vector<BlockExtraOp> block_extra_ops(const ModelDims& dims, double layers);

FlopReport model_flops(const Architecture& architecture, std::uint64_t prefill_tokens,
                       std::uint64_t decode_context, const FlopOptions& options);

// The name of a convention, as the reports print it.
std::string describe(CausalConvention causal);
std::string describe(LinearAlgorithm linear);

}  // namespace attnsim
