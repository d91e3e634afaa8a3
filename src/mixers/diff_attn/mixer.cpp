// Parameters, KV cache and FLOPs of a differential-attention layer (mixers-spec-new §B;
// Phi-4-mini-flash-reasoning modeling_phi4flash.py: FlashDiffCustomAttention, SambaYAttention).
#include "mixers/diff_attn/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/diff_attn/core_flops.h"
#include "mixers/diff_attn/session.h"

namespace attnsim::diff_attn {

namespace {
// Counted in differential heads and kv pairs, so that any positive values (and scale-down) give
// a valid layer: HF's num_attention_heads = 2·n_heads, num_key_value_heads = 2·n_kv_heads.
struct DiffShape {
  std::uint64_t n_heads = 0;     // H/2 differential heads
  std::uint64_t n_kv_heads = 0;  // Hkv/2 kv pairs
  std::uint64_t head_dim = 0;    // D: HF head dim (q/k width of one map; the value is 2D wide)
  std::optional<std::uint64_t> window;
  bool rope = false;
  bool qkv_bias = false;
  bool o_bias = false;
  // Set: a YOCO cross-decoder layer reading another layer's KV cache; Wqkv then makes only q.
  std::optional<SharedKvWeights> shared_kv;
};

class DiffAttention final : public Mixer {
 public:
  explicit DiffAttention(DiffShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "diff_attn"; }
  std::string layer_kind() const override {
    return shape_.window ? "sliding_diff_attn" : "diff_attn";
  }
  std::string describe() const override {
    std::string text = fmt::format("H={} Hkv={} D={} ({} differential heads)", 2 * shape_.n_heads,
                                   2 * shape_.n_kv_heads, shape_.head_dim, shape_.n_heads);
    if (shape_.window) text += fmt::format(" W={}", *shape_.window);
    if (!shape_.rope) text += " NoPE";
    return text;
  }
  // K and V of the Hkv HF kv heads: 2·Hkv·D per token, at most W tokens.
  std::vector<CacheTerm> cache_terms() const override {
    if (shape_.shared_kv) return {};
    CacheTerm term;
    term.name = "k+v";
    term.role = CacheRole::kv;
    term.elements_per_token = 2 * 2 * shape_.n_kv_heads * shape_.head_dim;
    term.max_tokens = shape_.window;
    return {term};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    DiffShape dense = shape_;
    dense.window.reset();
    return std::make_unique<DiffAttention>(dense);
  }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<DiffAttention>(*this); }
  std::unique_ptr<Mixer> reading_shared_kv(SharedKvWeights weights) const override {
    DiffShape reader = shape_;
    reader.shared_kv = weights;
    return std::make_unique<DiffAttention>(reader);
  }
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(weight_tensors(context));
  }
  // Wqkv D·(H·D' + 2·Hkv·D') and out_proj H·D'·D (D' the head dim; biases optional, both set in
  // Phi-4-mini-flash), λq1, λk1, λq2, λk2 of D' each ("lambda"), subln 2D' ("norms"). A YOCO
  // cross-decoder layer's Wqkv makes only q (SambaYAttention with yoco_cross: Linear(D, H·D')).
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    const Count q_width = 2 * Count(shape_.n_heads) * shape_.head_dim;
    const Count kv_width = 2 * 2 * Count(shape_.n_kv_heads) * shape_.head_dim;
    // Unused k/v rows of Wqkv stay in the checkpoint under the same tensor name.
    const Count kv_kept = shape_.shared_kv == SharedKvWeights::unused ? kv_width : Count{};
    const Count qkv_width = shape_.shared_kv ? q_width : q_width + kv_width;
    auto bias = [](bool present, Count width) { return present ? width : Count{}; };
    const Count lambda = shape_.head_dim;
    return {{"Wqkv.weight", "projections", context.d_model * qkv_width},
            {"Wqkv.bias", "biases", bias(shape_.qkv_bias, qkv_width)},
            {"Wqkv.weight", std::string(kUnusedWeights), context.d_model * kv_kept},
            {"Wqkv.bias", std::string(kUnusedWeights), bias(shape_.qkv_bias, kv_kept)},
            {"out_proj.weight", "projections", q_width * context.d_model},
            {"out_proj.bias", "biases", bias(shape_.o_bias, context.d_model)},
            {"inner_cross_attn.lambda_q1", "lambda", lambda},
            {"inner_cross_attn.lambda_k1", "lambda", lambda},
            {"inner_cross_attn.lambda_q2", "lambda", lambda},
            {"inner_cross_attn.lambda_k2", "lambda", lambda},
            {"inner_cross_attn.subln.weight", "norms", 2 * Count(shape_.head_dim)}};
  }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    const auto d_model = static_cast<double>(context.d_model);
    const auto q_width = static_cast<double>(2 * shape_.n_heads * shape_.head_dim);
    const auto kv_width =
        shape_.shared_kv ? 0.0 : static_cast<double>(4 * shape_.n_kv_heads * shape_.head_dim);
    return {{"qkv", d_model, q_width + kv_width, false}, {"o", q_width, d_model, true}};
  }
  // The two-pass form (HF / flash-attn), queries against the keys they see; under
  // CausalConvention::full every query counts its whole span min(T, W).
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    const auto T = static_cast<std::int64_t>(tokens);
    const FlopCounts core =
        context.causal == CausalConvention::half
            ? core_flops(core_shapes(), T, T, window(), Form::two_pass)
            : core_flops_for_pairs(
                  core_shapes(),
                  static_cast<double>(tokens) *
                      static_cast<double>(std::min(tokens, shape_.window.value_or(tokens))),
                  Form::two_pass);
    return combined(projection_flops(params({context.d_model}), static_cast<double>(tokens)), core);
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return combined(projection_flops(params({context.d_model}), 1.0),
                    core_flops(core_shapes(), 1, static_cast<std::int64_t>(context_tokens),
                               window(), Form::two_pass));
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_kv_heads; }
  // In HF heads: H = 2·n_heads, Hkv = 2·n_kv_heads.
  std::optional<reference::Binding> reference_binding() const override {
    const Shapes s = core_shapes();
    reference::Binding bound;
    bound.set("H", s.H);
    bound.set("Hkv", s.Hkv);
    bound.set("D", s.D);
    if (shape_.window) bound.set("window", static_cast<std::int64_t>(*shape_.window));
    if (shape_.shared_kv) bound.set("reads_kv", true);
    return bound;
  }

 private:
  Shapes core_shapes() const {
    return {2 * static_cast<std::int64_t>(shape_.n_heads),
            2 * static_cast<std::int64_t>(shape_.n_kv_heads),
            static_cast<std::int64_t>(shape_.head_dim)};
  }
  std::optional<std::int64_t> window() const {
    if (!shape_.window) return std::nullopt;
    return static_cast<std::int64_t>(*shape_.window);
  }
  DiffShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  DiffShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.n_kv_heads = values.positive("n_kv_heads");
  shape.head_dim = values.positive("head_dim");
  shape.window = values.optional_positive("window");
  shape.rope = values.flag("rope");
  shape.qkv_bias = values.flag("qkv_bias");
  shape.o_bias = values.flag("o_bias");
  values.require_divides("n_kv_heads", "n_heads",
                         "differential head i reads kv pair i // (n_heads / n_kv_heads)");
  if (shape.rope && shape.head_dim % 2 != 0)
    values.reject("head_dim", "an even head dim with rope: true", std::to_string(shape.head_dim));
  return std::make_unique<DiffAttention>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads",
       "differential heads: half of HF's num_attention_heads (head i pairs HF heads 2i, 2i+1)"},
      {"n_kv_heads", positive, FieldRole::kv_heads, kRequired, "heads",
       "kv pairs: half of HF's num_key_value_heads (a divisor of n_heads)", "n_heads"},
      {"head_dim", positive, FieldRole::width, kRequired, "channels",
       "D: HF head dim (hidden / num_attention_heads); each map's q/k width, half the value's"},
      {"window", positive, FieldRole::window, "", "tokens",
       "sliding window W: a query sees itself and the W−1 keys before it"},
      {"rope", flag, FieldRole::none, "false", "",
       "RoPE on every HF q/k head (Phi-4-mini-flash: none)"},
      {"qkv_bias", flag, FieldRole::none, "false", "", "a bias on Wqkv (Phi-4-mini-flash: true)"},
      {"o_bias", flag, FieldRole::none, "false", "", "a bias on out_proj (Phi-4-mini-flash: true)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"diff_attn",
          "differential attention (SambaY): A¹ − λA² per head pair over GQA KV, sliding window",
          &fields(),
          &from_fields,
          {"k+v (kv): 2·Hkv·D per token (Hkv = 2·n_kv_heads), at most W tokens"},
          {"two_pass", "combined"},
          {{"diff_attn", "differential attention", "differential attention"},
           {"sliding_diff_attn", "sliding-window differential attention",
            "sliding-window differential attention"}},
          &facet()};
}

}  // namespace attnsim::diff_attn
