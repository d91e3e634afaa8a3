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

// The fields of softmax attention (shape and weights; also gated_attn's), with qk_norm's default.
FieldTable attention_fields(std::string_view default_qk_norm);
// The shape from n_heads, n_kv_heads, head_dim (or head_dim_k + head_dim_v), window, chunk,
// rope; checks that the query heads divide into the kv heads.
AttentionShape attention_shape(const FieldValues& values);
std::string describe(const AttentionShape& shape);
// Hkv·(Dk + Dv) per token, kept for at most W (or chunk) tokens.
CacheTerm kv_term(const AttentionShape& shape);
// "full_attn", "sliding_attn", "chunked_attn" or "nope_attn", with `prefix` in front.
std::string attention_layer_kind(const AttentionShape& shape, std::string_view prefix);

// Weights beyond the four projections, which differ between models of the same kind.
enum class QkNorm {
  none,
  head,
  full
};  // RMSNorm on q and k per head (Qwen3, Gemma 3) or over all heads (OLMo 2)
// A gate on the attention output computed by its own projection of the layer input.
enum class OutputGate { none, head, element };
struct AttentionWeights {
  bool qkv_bias = false;  // biases on q, k, v (Qwen2, gpt-oss)
  bool o_bias = false;    // bias on the output projection (gpt-oss)
  QkNorm qk_norm = QkNorm::none;
  bool sinks = false;      // one learned sink logit per query head (gpt-oss)
  bool post_norm = false;  // an RMSNorm of D on the mixer output besides the pre-norm (Gemma 2/3)
  OutputGate output_gate = OutputGate::none;
  // Set: the layer reads another layer's KV cache (Mixer::reading_shared_kv) and its k/v
  // projections, biases and k norm are absent or unused.
  std::optional<SharedKvWeights> shared_kv;
};

// qkv_bias, o_bias, qk_norm (none|head|full), sinks, post_norm, output_gate (none|head|element).
AttentionWeights attention_weights(const FieldValues& values);
// q: D·Hq·Dk·q_multiplier (2 when the q projection also emits an output gate), k, v, o, plus
// the optional biases, norms and sinks.
ParamCounts attention_params(const AttentionShape& shape, const AttentionWeights& weights,
                             Count d_model, std::uint64_t q_multiplier);
// The same tensor by tensor, as LlamaAttention-style modules name them (q_proj.weight, q_proj.bias,
// q_norm.weight, sinks, g_proj.weight for a separate output gate, post_norm for the block's
// post-norm); attention_params is their sum by component.
std::vector<WeightTensor> attention_tensors(const AttentionShape& shape,
                                            const AttentionWeights& weights, Count d_model,
                                            std::uint64_t q_multiplier);
// The fused q(+gate)/k/v product D → Hq·Dk·q_multiplier + Hkv·(Dk + Dv) and the output
// projection Hq·Dv → D (row-parallel), as serving engines run them; without the k/v part for a
// layer that reads a shared KV cache (`with_kv` false).
std::vector<ProjectionShape> attention_projection_shapes(const AttentionShape& shape,
                                                         double d_model, std::uint64_t q_multiplier,
                                                         bool with_kv = true);
// Core scores/av of one sequence via core_flops (mixers-spec §1): windows, chunked local
// attention and the causal convention (`full`: T·min(T, span) pairs, span = W, chunk or T).
FlopCounts attention_core_prefill(const AttentionShape& shape, const FlopContext& context,
                                  std::uint64_t tokens);
FlopCounts attention_core_decode(const AttentionShape& shape, std::uint64_t context_tokens);

MixerKind kind_info();

}  // namespace attnsim::softmax_attn
