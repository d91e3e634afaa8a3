// Parameters, cache terms and FLOPs of DeepSeek V4's compressed attention. Shapes and tensor
// names follow DeepSeek-V4's reference inference/model.py (Attention, Compressor, Indexer) as
// ported line by line in public re-implementations; see README.md for each source. The reference
// kernel is in reference.cpp, its facet in session.cpp.
#include "mixers/compressed_attn/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/compressed_attn/session.h"

namespace attnsim::compressed_attn {

std::uint64_t pooled_tokens(const Shape& shape) {
  return (shape.compressor_overlap ? 2 : 1) * shape.compress_ratio;
}

std::uint64_t attended_keys(const Shape& shape, std::uint64_t context) {
  std::uint64_t keys = shape.window ? std::min(context, *shape.window) : context;
  if (shape.compress_ratio > 0) {
    const std::uint64_t entries = context / shape.compress_ratio;
    keys += shape.indexer_heads > 0 ? std::min(entries, shape.topk) : entries;
  }
  return keys;
}

namespace {
// Σ_{t=1..T} ⌊t/m⌋: ⌊t/m⌋ = j for the m values t = jm .. jm + m − 1, so with T = qm + r the
// full groups j = 1 .. q − 1 give m·q(q − 1)/2 and the last, j = q, has r + 1 values.
double sum_floor(std::uint64_t tokens, std::uint64_t m) {
  const double q = static_cast<double>(tokens / m);
  const double r = static_cast<double>(tokens % m);
  return static_cast<double>(m) * q * (q - 1) / 2 + q * (r + 1);
}

// Σ_{t=1..T} min(t, W) = T(T + 1)/2 up to W, then W per token.
double sum_window(std::uint64_t tokens, std::optional<std::uint64_t> window) {
  const double T = static_cast<double>(tokens);
  if (!window || tokens <= *window) return T * (T + 1) / 2;
  const double W = static_cast<double>(*window);
  return W * (W + 1) / 2 + (T - W) * W;
}

// Σ_{t=1..T} of the keys a query at position t attends to (causal prefill).
double sum_attended(const Shape& shape, std::uint64_t tokens) {
  double keys = sum_window(tokens, shape.window);
  if (shape.compress_ratio == 0) return keys;
  const std::uint64_t m = shape.compress_ratio;
  if (shape.indexer_heads == 0) return keys + sum_floor(tokens, m);
  // ⌊t/m⌋ reaches k at t = km: below, every entry; from there on, k.
  const std::uint64_t saturated = checked_mul(shape.topk, m, "tokens");
  if (tokens < saturated) return keys + sum_floor(tokens, m);
  return keys + sum_floor(saturated - 1, m) +
         static_cast<double>(shape.topk) * static_cast<double>(tokens - saturated + 1);
}

std::vector<WeightTensor> tensors(const Shape& shape, Count d_model) {
  const Count H = shape.n_heads, D = shape.head_dim, r_q = shape.q_lora_rank;
  const Count r_o = shape.o_lora_rank, G = shape.o_groups, m = shape.compress_ratio;
  const Count coff = shape.compressor_overlap ? 2 : 1;
  const Count HI = shape.indexer_heads, dI = shape.indexer_head_dim;
  const bool compressing = shape.compress_ratio > 0, indexed = shape.indexer_heads > 0;
  // model.py Attention: wq_a D → r_q, q_norm, wq_b r_q → H·D; wkv D → D (one K=V head),
  // kv_norm; wo_a G blocks of H·D/G → r_o (H·D·r_o in all); wo_b G·r_o → D; attn_sink per head.
  std::vector<WeightTensor> out = {
      {"wq_a.weight", "projections", d_model * r_q},
      {"q_norm.weight", "norms", r_q},
      {"wq_b.weight", "projections", r_q * H * D},
      {"wkv.weight", "projections", d_model * D},
      {"kv_norm.weight", "norms", D},
      {"wo_a.weight", "projections", H * D * r_o},
      {"wo_b.weight", "projections", G * r_o * d_model},
      {"attn_sink", "sinks", H},
  };
  // Compressor: wkv and wgate D → coff·D, ape m × coff·D (added to the gate scores), norm D.
  if (compressing) {
    out.push_back({"compressor.wkv.weight", "compressor", d_model * coff * D});
    out.push_back({"compressor.wgate.weight", "compressor", d_model * coff * D});
    out.push_back({"compressor.ape", "compressor", m * coff * D});
    out.push_back({"compressor.norm.weight", "compressor", D});
  }
  // Indexer: wq_b r_q → HI·dI (from the attention's q latent), weights_proj D → HI, and its own
  // compressor of width dI.
  if (indexed) {
    out.push_back({"indexer.wq_b.weight", "indexer", r_q * HI * dI});
    out.push_back({"indexer.weights_proj.weight", "indexer", d_model * HI});
    out.push_back({"indexer.compressor.wkv.weight", "indexer", d_model * coff * dI});
    out.push_back({"indexer.compressor.wgate.weight", "indexer", d_model * coff * dI});
    out.push_back({"indexer.compressor.ape", "indexer", m * coff * dI});
    out.push_back({"indexer.compressor.norm.weight", "indexer", dI});
  }
  return out;
}

// Multiply-adds per token that do not depend on the context: the compressor's and the indexer's
// projections (the attention's own are ParamCounts "projections").
void per_token_macs(const Shape& shape, double d_model, double tokens, FlopCounts& flops) {
  const double coff = shape.compressor_overlap ? 2 : 1;
  if (shape.compress_ratio > 0)
    add_macs(flops, "compressor",
             tokens * 2 * d_model * coff * static_cast<double>(shape.head_dim));
  if (shape.indexer_heads > 0) {
    const double HI = static_cast<double>(shape.indexer_heads);
    const double dI = static_cast<double>(shape.indexer_head_dim);
    add_macs(flops, "indexer",
             tokens * (static_cast<double>(shape.q_lora_rank) * HI * dI + d_model * HI +
                       2 * d_model * coff * dI));
  }
}

class CompressedAttention final : public Mixer {
 public:
  explicit CompressedAttention(Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "compressed_attn"; }
  std::string layer_kind() const override {
    if (shape_.compress_ratio == 0) return shape_.window ? "swa_mqa" : "compressed_attn";
    return shape_.indexer_heads > 0 ? "csa" : "hca";
  }
  std::string describe() const override {
    std::string text = fmt::format("H={} shared K=V D={} W={}", shape_.n_heads, shape_.head_dim,
                                   shape_.window ? std::to_string(*shape_.window) : "none");
    if (shape_.compress_ratio > 0)
      text += fmt::format(" + 1/{} compressed{}", shape_.compress_ratio,
                          shape_.compressor_overlap ? " (overlapping)" : "");
    if (shape_.indexer_heads > 0)
      text += fmt::format(" top-k={} (indexer HI={} dI={})", shape_.topk, shape_.indexer_heads,
                          shape_.indexer_head_dim);
    return text;
  }
  std::vector<CacheTerm> cache_terms() const override {
    std::vector<CacheTerm> terms;
    CacheTerm window;
    window.name = "window k=v";
    window.elements_per_token = shape_.head_dim;  // K = V: one D-wide entry per token
    window.max_tokens = shape_.window;
    window.rope_elements_per_token = shape_.rope_head_dim;  // for engines' fp8 NoPE records
    terms.push_back(window);
    if (shape_.compress_ratio == 0) return terms;
    CacheTerm compressed;
    compressed.name = "compressed k=v";
    compressed.elements_per_token = shape_.head_dim;
    compressed.tokens_per_entry = shape_.compress_ratio;
    compressed.rope_elements_per_token = shape_.rope_head_dim;
    terms.push_back(compressed);
    // The compressor keeps, in fp32, the kv and gate-score projections of the tokens its next
    // entries pool: coff·m rows of coff·D each, twice (kv_state and score_state).
    const std::uint64_t rows = pooled_tokens(shape_);
    const std::uint64_t coff = shape_.compressor_overlap ? 2 : 1;
    CacheTerm state;
    state.name = "compressor state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = 2 * rows * coff * shape_.head_dim;
    state.dtype = DType::fp32;
    terms.push_back(state);
    if (shape_.indexer_heads == 0) return terms;
    CacheTerm keys;
    keys.name = "indexer keys";
    keys.elements_per_token = shape_.indexer_head_dim;
    keys.tokens_per_entry = shape_.compress_ratio;
    keys.dtype = shape_.indexer_key_dtype;
    terms.push_back(keys);
    CacheTerm key_state = state;
    key_state.name = "indexer compressor state";
    key_state.elements_per_sequence = 2 * rows * coff * shape_.indexer_head_dim;
    terms.push_back(key_state);
    return terms;
  }
  // Dense causal attention over every token with the same shared K=V head.
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    Shape dense = shape_;
    dense.window.reset();
    dense.compress_ratio = 0;
    dense.compressor_overlap = false;
    dense.indexer_heads = dense.indexer_head_dim = dense.topk = 0;
    return std::make_unique<CompressedAttention>(dense);
  }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<CompressedAttention>(*this);
  }
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(tensors(shape_, context.d_model));
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    return tensors(shape_, context.d_model);
  }
  // Per query: scores and the weighted sum over the keys it attends to, H·D each per key (V is
  // the same D-wide entry); the indexer scores every visible compressed entry, HI·dI each
  // ("index_scores"; "indexer" is its projections).
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    const double T = static_cast<double>(tokens);
    FlopCounts flops = projection_flops(params({context.d_model}), T);
    per_token_macs(shape_, static_cast<double>(context.d_model), T, flops);
    const double keys = context.causal == CausalConvention::half
                            ? sum_attended(shape_, tokens)
                            : T * static_cast<double>(attended_keys(shape_, tokens));
    const double per_key = static_cast<double>(shape_.n_heads * shape_.head_dim);
    add_macs(flops, "scores", per_key * keys);
    add_macs(flops, "av", per_key * keys);
    if (shape_.indexer_heads > 0) {
      const double entries = context.causal == CausalConvention::half
                                 ? sum_floor(tokens, shape_.compress_ratio)
                                 : T * static_cast<double>(tokens / shape_.compress_ratio);
      add_macs(flops, "index_scores",
               static_cast<double>(shape_.indexer_heads * shape_.indexer_head_dim) * entries);
    }
    return flops;
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    FlopCounts flops = projection_flops(params({context.d_model}), 1.0);
    per_token_macs(shape_, static_cast<double>(context.d_model), 1.0, flops);
    const double per_key = static_cast<double>(shape_.n_heads * shape_.head_dim);
    const double keys = static_cast<double>(attended_keys(shape_, context_tokens));
    add_macs(flops, "scores", per_key * keys);
    add_macs(flops, "av", per_key * keys);
    if (shape_.indexer_heads > 0)
      add_macs(flops, "index_scores",
               static_cast<double>(shape_.indexer_heads * shape_.indexer_head_dim) *
                   static_cast<double>(context_tokens / shape_.compress_ratio));
    return flops;
  }
  // One K=V head shared by all query heads: every rank keeps all of it.
  std::uint64_t cache_split_heads() const override { return 1; }
  // The reference session's sizes (session.cpp): C = coff·D and CI = coff·dI are the widths of
  // the compressors' wkv/wgate rows.
  std::optional<reference::Binding> reference_binding() const override {
    reference::Binding bound;
    const auto size = [](std::uint64_t value) { return static_cast<std::int64_t>(value); };
    const std::uint64_t coff = shape_.compressor_overlap ? 2 : 1;
    bound.set("H", size(shape_.n_heads));
    bound.set("D", size(shape_.head_dim));
    bound.set("rope_dim", size(shape_.rope_head_dim));
    if (shape_.window) bound.set("window", size(*shape_.window));
    if (shape_.compress_ratio == 0) return bound;
    bound.set("compress_ratio", size(shape_.compress_ratio));
    bound.set("m", size(shape_.compress_ratio));
    bound.set("overlap", shape_.compressor_overlap);
    bound.set("C", size(coff * shape_.head_dim));
    if (shape_.indexer_heads == 0) return bound;
    bound.set("topk", size(shape_.topk));
    bound.set("HI", size(shape_.indexer_heads));
    bound.set("dI", size(shape_.indexer_head_dim));
    bound.set("CI", size(coff * shape_.indexer_head_dim));
    return bound;
  }

 private:
  Shape shape_;
};

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "query heads H"},
      {"head_dim", positive, FieldRole::width, kRequired, "channels",
       "D: width of the one key=value head every query head shares (cached once per token)"},
      {"q_lora_rank", positive, FieldRole::width, kRequired, "channels",
       "rank of the query latent (wq_a D → r, wq_b r → H·D); the indexer reads it too"},
      {"o_lora_rank", positive, FieldRole::width, kRequired, "channels",
       "rank of each group's output projection wo_a"},
      {"o_groups", positive, FieldRole::head_groups, kRequired, "groups",
       "G: wo_a maps each group of H/G heads to o_lora_rank; wo_b maps G·o_lora_rank → model "
       "width",
       "n_heads"},
      {"window", positive, FieldRole::window, "", "tokens",
       "W: recent tokens kept whole (every layer); absent: all of them"},
      {"compress_ratio", count, FieldRole::none, "0", "tokens",
       "m: tokens pooled into one compressed entry; 0: none (sliding window only)"},
      {"compressor_overlap", flag, FieldRole::none, "false", "",
       "each entry also pools the previous group (2m tokens; DeepSeek V4's ratio-4 layers)"},
      {"indexer_heads", count, FieldRole::none, "0", "heads",
       "HI: heads of the indexer that picks the top-k entries; 0: attend to every entry"},
      {"indexer_head_dim", count, FieldRole::none, "0", "channels",
       "dI: width of the indexer key kept per compressed entry"},
      {"topk", count, FieldRole::span, "0", "entries", "k: compressed entries each query reads"},
      {"indexer_key_dtype", dtype, FieldRole::none, "", "",
       "dtype of the indexer keys (default: the model's kv_cache dtype)"},
      {"rope_head_dim", count, FieldRole::none, "", "channels",
       "channels at the end of each head (query, K=V entry, indexer) that carry RoPE; only the "
       "reference kernel reads it (absent: 64, DeepSeek V4's, or the narrower head's width)"},
  };
  return table;
}

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  Shape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim = values.positive("head_dim");
  shape.q_lora_rank = values.positive("q_lora_rank");
  shape.o_lora_rank = values.positive("o_lora_rank");
  shape.o_groups = values.positive("o_groups");
  shape.window = values.optional_positive("window");
  shape.compress_ratio = values.count("compress_ratio");
  shape.compressor_overlap = values.flag("compressor_overlap");
  shape.indexer_heads = values.count("indexer_heads");
  shape.indexer_head_dim = values.count("indexer_head_dim");
  shape.topk = values.count("topk");
  shape.indexer_key_dtype = values.dtype("indexer_key_dtype");
  shape.rope_head_dim = std::min<std::uint64_t>(64, shape.head_dim);
  if (shape.indexer_heads > 0)
    shape.rope_head_dim = std::min(shape.rope_head_dim, shape.indexer_head_dim);
  shape.rope_head_dim -= shape.rope_head_dim % 2;
  if (values.has("rope_head_dim")) shape.rope_head_dim = values.count("rope_head_dim");
  if (shape.rope_head_dim % 2 != 0 || shape.rope_head_dim > shape.head_dim)
    values.reject("rope_head_dim", fmt::format("an even number ≤ head_dim ({})", shape.head_dim),
                  std::to_string(shape.rope_head_dim));
  if (shape.indexer_heads > 0 && shape.rope_head_dim > shape.indexer_head_dim)
    values.reject("rope_head_dim", fmt::format("≤ indexer_head_dim ({})", shape.indexer_head_dim),
                  std::to_string(shape.rope_head_dim));
  if (shape.n_heads % shape.o_groups != 0)
    values.reject("o_groups", fmt::format("a divisor of n_heads ({})", shape.n_heads),
                  std::to_string(shape.o_groups));
  if (shape.compress_ratio == 0) {
    if (shape.compressor_overlap)
      values.reject("compressor_overlap", "false without compress_ratio", "true");
    if (shape.indexer_heads > 0)
      values.reject("indexer_heads", "0 without compress_ratio (the indexer picks entries)",
                    std::to_string(shape.indexer_heads));
  }
  const bool indexed = shape.indexer_heads > 0;
  for (const char* key : {"indexer_head_dim", "topk"}) {
    const std::uint64_t value = values.count(key);
    if (indexed && value == 0)
      values.reject(key, "a positive whole number with indexer_heads", "0");
    if (!indexed && value > 0) values.reject(key, "0 without indexer_heads", std::to_string(value));
  }
  if (!indexed && values.has("indexer_key_dtype"))
    values.reject("indexer_key_dtype", "no key dtype without indexer_heads", "a dtype");
  return std::make_unique<CompressedAttention>(shape);
}
}  // namespace

MixerKind kind_info() {
  return {"compressed_attn",
          "DeepSeek V4 attention: shared K=V head, sliding window + 1/m compressed entries "
          "(top-k by an indexer or all)",
          &fields(),
          &from_fields,
          {"window k=v (kv): D per token, at most W tokens",
           "compressed k=v (kv): D per m tokens (complete groups)",
           "indexer keys (kv): dI per m tokens (indexer_key_dtype)",
           "compressor state (fp32): 2·coff·m·coff·D, indexer's 2·coff·m·coff·dI"},
          {"parallel", "recurrent"},
          {{"swa_mqa", "SWA", "sliding-window attention (shared K=V)"},
           {"csa", "CSA", "compressed sparse attention"},
           {"hca", "HCA", "heavily compressed attention"},
           {"compressed_attn", "MQA", "dense attention (shared K=V)"}},
          &facet()};
}

}  // namespace attnsim::compressed_attn
