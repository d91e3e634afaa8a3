// Parameters and cache accounting of softmax attention (mixers-spec §1).
#include "mixers/softmax_attn/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/softmax_attn/core_flops.h"
#include "mixers/softmax_attn/session.h"

namespace attnsim::softmax_attn {

FieldTable attention_fields(std::string_view default_qk_norm) {
  using enum FieldType;
  return {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "query heads Hq"},
      {"n_kv_heads", positive, FieldRole::kv_heads, kRequired, "heads",
       "key/value heads Hkv (a divisor of n_heads: MHA = n_heads, MQA = 1)", "n_heads"},
      {"head_dim", positive, FieldRole::width, "", "channels",
       "Dk = Dv; or give head_dim_k and head_dim_v instead"},
      {"head_dim_k", positive, FieldRole::width, "", "channels", "query/key head width Dk"},
      {"head_dim_v", positive, FieldRole::width, "", "channels", "value head width Dv"},
      {"window", positive, FieldRole::window, "", "tokens",
       "sliding window W: a query sees itself and the W−1 keys before it"},
      {"chunk", positive, FieldRole::span, "", "tokens",
       "local attention within aligned chunks of this size (not with window)"},
      {"rope", flag, FieldRole::none, "true", "", "false: a NoPE layer"},
      {"qkv_bias", flag, FieldRole::none, "false", "", "biases on q, k and v (Qwen2, gpt-oss)"},
      {"o_bias", flag, FieldRole::none, "false", "", "bias on the output projection (gpt-oss)"},
      {"sinks", flag, FieldRole::none, "false", "", "one learned sink logit per query head"},
      {"output_gate",
       choice,
       FieldRole::none,
       "none",
       "",
       "a sigmoid output gate from its own projection: one per query head, Linear(D, Hq) (Step "
       "3.5 Flash use_head_wise_attn_gate), or one per channel, Linear(D, Hq·Dv)",
       "",
       {"none", "head", "element"}},
      {"post_norm", flag, FieldRole::none, "false", "",
       "an RMSNorm of D on the mixer output besides the pre-norm (Gemma 2/3)"},
      {"qk_norm",
       choice,
       FieldRole::none,
       default_qk_norm,
       "",
       "RMSNorm on q and k: per head (Qwen3, Gemma 3) or over all heads (OLMo 2)",
       "",
       {"none", "head", "full"}},
  };
}

AttentionShape attention_shape(const FieldValues& values) {
  AttentionShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.n_kv_heads = values.positive("n_kv_heads");
  if (const auto head_dim = values.optional_positive("head_dim")) {
    shape.head_dim_k = *head_dim;
    shape.head_dim_v = shape.head_dim_k;
    for (const char* key : {"head_dim_k", "head_dim_v"})
      if (values.has(key))
        values.reject(key, "either head_dim or head_dim_k + head_dim_v", "both",
                      "remove one of them");
  } else {
    shape.head_dim_k = values.reader().required_positive("head_dim_k");
    shape.head_dim_v = values.reader().required_positive("head_dim_v");
  }
  shape.window = values.optional_positive("window");
  shape.chunk = values.optional_positive("chunk");
  shape.rope = values.flag("rope");
  values.require_divides("n_kv_heads", "n_heads",
                         "each kv head serves n_heads / n_kv_heads query heads");
  if (shape.window && shape.chunk)
    values.reject("chunk", "either window or chunk", "both",
                  "a layer is sliding or chunked, not both");
  return shape;
}

std::string describe(const AttentionShape& shape) {
  std::string text = fmt::format("Hq={} Hkv={} ", shape.n_heads, shape.n_kv_heads);
  text += shape.head_dim_k == shape.head_dim_v
              ? fmt::format("D={}", shape.head_dim_k)
              : fmt::format("Dk={} Dv={}", shape.head_dim_k, shape.head_dim_v);
  if (shape.window) text += fmt::format(" W={}", *shape.window);
  if (shape.chunk) text += fmt::format(" chunk={}", *shape.chunk);
  if (!shape.rope) text += " NoPE";
  return text;
}

CacheTerm kv_term(const AttentionShape& shape) {
  CacheTerm term;
  term.name = "k+v";
  term.role = CacheRole::kv;
  term.elements_per_token = shape.n_kv_heads * (shape.head_dim_k + shape.head_dim_v);
  term.max_tokens = shape.window ? shape.window : shape.chunk;
  term.chunked = !shape.window && shape.chunk;
  return term;
}

std::string attention_layer_kind(const AttentionShape& shape, std::string_view prefix) {
  if (shape.window) return fmt::format("{}sliding_attn", prefix);
  if (shape.chunk) return fmt::format("{}chunked_attn", prefix);
  if (!shape.rope) return fmt::format("{}nope_attn", prefix);
  return fmt::format("{}full_attn", prefix);
}

AttentionWeights attention_weights(const FieldValues& values) {
  AttentionWeights weights;
  weights.qkv_bias = values.flag("qkv_bias");
  weights.o_bias = values.flag("o_bias");
  weights.sinks = values.flag("sinks");
  weights.post_norm = values.flag("post_norm");
  const std::string& gate = values.choice("output_gate");
  weights.output_gate = gate == "head"      ? OutputGate::head
                        : gate == "element" ? OutputGate::element
                                            : OutputGate::none;
  const std::string& norm = values.choice("qk_norm");
  weights.qk_norm = norm == "head" ? QkNorm::head : norm == "full" ? QkNorm::full : QkNorm::none;
  return weights;
}

std::vector<WeightTensor> attention_tensors(const AttentionShape& shape,
                                            const AttentionWeights& weights, Count d_model,
                                            std::uint64_t q_multiplier) {
  const Count heads = shape.n_heads;
  const Count kv_heads = shape.n_kv_heads;
  const Count q_width = heads * shape.head_dim_k * q_multiplier;  // with a fused gate (Qwen3-Next)
  const Count k_width = kv_heads * shape.head_dim_k;
  const Count v_width = kv_heads * shape.head_dim_v;
  const Count o_width = heads * shape.head_dim_v;
  // A separate gate projection is a matmul like the others: D·Hq (head) or D·Hq·Dv (element).
  const Count gate_width = weights.output_gate == OutputGate::head      ? heads
                           : weights.output_gate == OutputGate::element ? o_width
                                                                        : Count{};
  auto bias = [](bool present, Count width) { return present ? width : Count{}; };
  // A layer reading a shared KV cache has no k/v weights, or stores them unused (gemma-3n).
  const bool kv_absent = weights.shared_kv == SharedKvWeights::absent;
  const std::string kv_projections =
      weights.shared_kv ? std::string(kUnusedWeights) : "projections";
  const std::string kv_biases = weights.shared_kv ? std::string(kUnusedWeights) : "biases";
  const std::string kv_norms = weights.shared_kv ? std::string(kUnusedWeights) : "norms";
  auto kv = [kv_absent](Count count) { return kv_absent ? Count{} : count; };
  // q/k norms over head_dim shared by all heads (Qwen3), or over the whole vector (OLMo 3).
  const Count q_norm = weights.qk_norm == QkNorm::head   ? Count(shape.head_dim_k)
                       : weights.qk_norm == QkNorm::full ? heads * shape.head_dim_k
                                                         : Count{};
  const Count k_norm = weights.qk_norm == QkNorm::head   ? Count(shape.head_dim_k)
                       : weights.qk_norm == QkNorm::full ? k_width
                                                         : Count{};
  return {{"q_proj.weight", "projections", d_model * q_width},
          {"q_proj.bias", "biases", bias(weights.qkv_bias, q_width)},
          {"k_proj.weight", kv_projections, kv(d_model * k_width)},
          {"k_proj.bias", kv_biases, kv(bias(weights.qkv_bias, k_width))},
          {"v_proj.weight", kv_projections, kv(d_model * v_width)},
          {"v_proj.bias", kv_biases, kv(bias(weights.qkv_bias, v_width))},
          {"g_proj.weight", "projections", d_model * gate_width},
          {"o_proj.weight", "projections", o_width * d_model},
          {"o_proj.bias", "biases", bias(weights.o_bias, d_model)},
          {"q_norm.weight", "norms", q_norm},
          {"k_norm.weight", kv_norms, kv(k_norm)},
          {"sinks", "sinks", bias(weights.sinks, heads)},
          {"post_norm.weight", std::string(kPostNorm), bias(weights.post_norm, d_model)}};
}

ParamCounts attention_params(const AttentionShape& shape, const AttentionWeights& weights,
                             Count d_model, std::uint64_t q_multiplier) {
  return params_by_component(attention_tensors(shape, weights, d_model, q_multiplier));
}

namespace {
Shapes core_shapes(const AttentionShape& shape) {
  return {static_cast<std::int64_t>(shape.n_heads), static_cast<std::int64_t>(shape.n_kv_heads),
          static_cast<std::int64_t>(shape.head_dim_k), static_cast<std::int64_t>(shape.head_dim_v)};
}

std::optional<std::int64_t> core_window(const AttentionShape& shape) {
  if (!shape.window) return std::nullopt;
  return static_cast<std::int64_t>(*shape.window);
}

// Multiplies the pair-proportional categories (scores, av) by `factor`.
FlopCounts scale_pairs(FlopCounts flops, double factor) {
  for (auto& [category, value] : flops)
    if (category == "scores" || category == "av") value *= factor;
  return flops;
}
}  // namespace

FlopCounts attention_core_prefill(const AttentionShape& shape, const FlopContext& context,
                                  std::uint64_t tokens) {
  const auto T = static_cast<std::int64_t>(tokens);
  const Shapes shapes = core_shapes(shape);
  FlopCounts flops;
  std::uint64_t span = tokens;
  if (shape.chunk) {
    // Local attention inside aligned chunks: each full chunk is a causal prefill of its own.
    const auto chunk = static_cast<std::int64_t>(*shape.chunk);
    span = std::min(tokens, *shape.chunk);
    const std::int64_t full_chunks = T / chunk;
    if (full_chunks > 0)
      flops = scaled(core_flops(shapes, chunk, chunk, std::nullopt, 1),
                     static_cast<double>(full_chunks));
    if (T % chunk > 0)
      flops = combined(flops, core_flops(shapes, T % chunk, T % chunk, std::nullopt, 1));
  } else {
    if (shape.window) span = std::min(tokens, *shape.window);
    flops = core_flops(shapes, T, T, core_window(shape), 1);
  }
  if (context.causal == CausalConvention::half) return flops;
  // Full: every query against its whole span, T·span pairs.
  const double half_pairs = shape.chunk
                                ? total_flops(flops) / (2.0 * static_cast<double>(shapes.Hq) *
                                                        static_cast<double>(shapes.D + shapes.Dv))
                                : attended_pairs(T, T, core_window(shape), 1);
  return scale_pairs(flops, static_cast<double>(tokens) * static_cast<double>(span) / half_pairs);
}

std::vector<ProjectionShape> attention_projection_shapes(const AttentionShape& shape,
                                                         double d_model, std::uint64_t q_multiplier,
                                                         bool with_kv) {
  const auto heads = static_cast<double>(shape.n_heads);
  const auto kv_heads = with_kv ? static_cast<double>(shape.n_kv_heads) : 0.0;
  const auto dk = static_cast<double>(shape.head_dim_k);
  const auto dv = static_cast<double>(shape.head_dim_v);
  return {{"qkv", d_model, heads * dk * static_cast<double>(q_multiplier) + kv_heads * (dk + dv),
           false},
          {"o", heads * dv, d_model, true}};
}

FlopCounts attention_core_decode(const AttentionShape& shape, std::uint64_t context_tokens) {
  // A chunked-local layer sees only the tokens of its current chunk (its own included).
  const std::uint64_t visible =
      shape.chunk ? (context_tokens - 1) % *shape.chunk + 1 : context_tokens;
  return core_flops(core_shapes(shape), 1, static_cast<std::int64_t>(visible), core_window(shape),
                    1);
}

namespace {
class SoftmaxAttention final : public Mixer {
 public:
  SoftmaxAttention(AttentionShape shape, AttentionWeights weights)
      : shape_(shape), weights_(weights) {}
  std::string_view kind() const override { return "softmax_attn"; }
  std::string layer_kind() const override { return attention_layer_kind(shape_, ""); }
  std::string describe() const override { return softmax_attn::describe(shape_); }
  std::vector<CacheTerm> cache_terms() const override {
    if (weights_.shared_kv) return {};
    return {kv_term(shape_)};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    AttentionShape dense = shape_;
    dense.window.reset();
    dense.chunk.reset();
    return std::make_unique<SoftmaxAttention>(dense, weights_);
  }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<SoftmaxAttention>(*this);
  }
  std::unique_ptr<Mixer> reading_shared_kv(SharedKvWeights kv_weights) const override {
    AttentionWeights reader = weights_;
    reader.shared_kv = kv_weights;
    return std::make_unique<SoftmaxAttention>(shape_, reader);
  }
  ParamCounts params(const ParamContext& context) const override {
    return attention_params(shape_, weights_, context.d_model, 1);
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    return attention_tensors(shape_, weights_, context.d_model, 1);
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return combined(projection_flops(params({context.d_model}), static_cast<double>(tokens)),
                    attention_core_prefill(shape_, context, tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return combined(projection_flops(params({context.d_model}), 1.0),
                    attention_core_decode(shape_, context_tokens));
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_kv_heads; }
  std::optional<reference::Binding> reference_binding() const override {
    auto bound = binding(shape_);
    if (bound && weights_.shared_kv) bound->set("reads_kv", true);
    return bound;
  }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    return attention_projection_shapes(shape_, static_cast<double>(context.d_model), 1,
                                       !weights_.shared_kv);
  }

 private:
  AttentionShape shape_;
  AttentionWeights weights_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  const AttentionShape shape = attention_shape(values);
  return std::make_unique<SoftmaxAttention>(shape, attention_weights(values));
}
}  // namespace

MixerKind kind_info() {
  static const FieldTable fields = attention_fields("none");
  return {"softmax_attn",
          "causal softmax attention: MHA/GQA/MQA, sliding window, chunked, NoPE",
          &fields,
          &from_fields,
          {"k+v (kv): Hkv·(Dk + Dv) per token, at most W (or chunk) tokens"},
          {"blocked"},
          {{"full_attn", "attention", "RoPE attention"},
           {"nope_attn", "attention", "NoPE attention"},
           {"sliding_attn", "sliding-window attention", "sliding-window attention"},
           {"chunked_attn", "chunked attention", "chunked attention"}},
          &facet()};
}

}  // namespace attnsim::softmax_attn
