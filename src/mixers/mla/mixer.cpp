// Parameters and cache accounting of MLA (mixers-spec §2; DeepSeek-V2 paper eq. 9–10).
#include "mixers/mla/mixer.h"

#include <fmt/format.h>

#include "mixers/mla/core_flops.h"
#include "mixers/mla/session.h"

namespace attnsim::mla {

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "query heads H"},
      {"q_lora_rank", count, FieldRole::width, "0", "channels",
       "rank of the query latent; 0: queries are projected directly from D"},
      {"kv_lora_rank", positive, FieldRole::latent_rank, kRequired, "channels",
       "rank dc of the cached KV latent c_kv"},
      {"qk_nope_head_dim", positive, FieldRole::width, kRequired, "channels",
       "dn: per-head query/key width without RoPE"},
      {"qk_rope_head_dim", positive, FieldRole::width, kRequired, "channels",
       "dr: width of the RoPE key shared by all heads (cached)"},
      {"v_head_dim", positive, FieldRole::width, kRequired, "channels", "dv: per-head value width"},
  };
  return table;
}

MlaShape mla_shape(const FieldValues& values) {
  MlaShape shape;
  shape.n_heads = values.positive("n_heads");
  shape.q_lora_rank = values.count("q_lora_rank");
  shape.kv_lora_rank = values.positive("kv_lora_rank");
  shape.qk_nope_head_dim = values.positive("qk_nope_head_dim");
  shape.qk_rope_head_dim = values.positive("qk_rope_head_dim");
  shape.v_head_dim = values.positive("v_head_dim");
  return shape;
}

std::vector<WeightTensor> mla_tensors(const MlaShape& shape, Count d_model) {
  const Count H = shape.n_heads;
  const Count q_rank = shape.q_lora_rank;
  const Count kv_rank = shape.kv_lora_rank;
  const Count rope_dim = shape.qk_rope_head_dim;
  const Count nope_dim = shape.qk_nope_head_dim;
  const Count v_dim = shape.v_head_dim;
  const Count qk_dim = nope_dim + rope_dim;
  const bool q_latent = q_rank > 0;
  return {{"q_a_proj.weight", "projections", q_latent ? d_model * q_rank : Count{}},
          {"q_a_layernorm.weight", "norms", q_rank},
          {"q_b_proj.weight", "projections", q_latent ? q_rank * H * qk_dim : Count{}},
          {"q_proj.weight", "projections", q_latent ? Count{} : d_model * H * qk_dim},
          {"kv_a_proj_with_mqa.weight", "projections", d_model * (kv_rank + rope_dim)},
          {"kv_a_layernorm.weight", "norms", kv_rank},
          {"kv_b_proj.weight", "latent_up", kv_rank * H * (nope_dim + v_dim)},
          {"o_proj.weight", "projections", H * v_dim * d_model}};
}

ParamCounts mla_params(const MlaShape& shape, Count d_model) {
  return params_by_component(mla_tensors(shape, d_model));
}

namespace {
Shapes core_shapes(const MlaShape& shape) {
  return {
      static_cast<std::int64_t>(shape.n_heads), static_cast<std::int64_t>(shape.qk_nope_head_dim),
      static_cast<std::int64_t>(shape.qk_rope_head_dim),
      static_cast<std::int64_t>(shape.v_head_dim), static_cast<std::int64_t>(shape.kv_lora_rank)};
}

std::optional<std::int64_t> as_signed(std::optional<std::uint64_t> value) {
  if (!value) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}
}  // namespace

FlopCounts mla_prefill_flops(const MlaShape& shape, const FlopContext& context,
                             std::uint64_t tokens, std::optional<std::uint64_t> topk) {
  const auto T = static_cast<std::int64_t>(tokens);
  // query_block 1 skips masked pairs (half); one block of T computes every pair (full).
  const std::int64_t block = context.causal == CausalConvention::half ? 1 : T;
  return combined(projection_flops(mla_params(shape, context.d_model), static_cast<double>(T)),
                  core_flops_naive(core_shapes(shape), T, T, block, as_signed(topk)));
}

FlopCounts mla_decode_flops(const MlaShape& shape, std::uint64_t d_model,
                            std::uint64_t context_tokens, std::optional<std::uint64_t> topk) {
  return combined(
      projection_flops(mla_params(shape, d_model), 1.0),
      core_flops_absorbed(core_shapes(shape), 1, static_cast<std::int64_t>(context_tokens), 1,
                          as_signed(topk)));
}

namespace {
class MultiHeadLatentAttention final : public Mixer {
 public:
  explicit MultiHeadLatentAttention(MlaShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mla"; }
  std::string describe() const override {
    return fmt::format("H={} dc={} dr={} dn={} dv={} q_lora={}", shape_.n_heads,
                       shape_.kv_lora_rank, shape_.qk_rope_head_dim, shape_.qk_nope_head_dim,
                       shape_.v_head_dim, shape_.q_lora_rank);
  }
  // DeepSeek-V2 eq. 9: cache c_kv (dc) and the shared post-RoPE key k_rope (dr) per token.
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm term;
    term.name = "c_kv+k_rope";
    term.role = CacheRole::kv;
    term.elements_per_token = shape_.kv_lora_rank + shape_.qk_rope_head_dim;
    term.rope_elements_per_token = shape_.qk_rope_head_dim;
    term.decompressed_elements_per_token =
        shape_.n_heads * (shape_.qk_nope_head_dim + shape_.qk_rope_head_dim + shape_.v_head_dim);
    return {term};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return clone(); }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<MultiHeadLatentAttention>(*this);
  }
  ParamCounts params(const ParamContext& context) const override {
    return mla_params(shape_, context.d_model);
  }
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    return mla_tensors(shape_, context.d_model);
  }
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    return mla_prefill_flops(shape_, context, tokens, std::nullopt);
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    return mla_decode_flops(shape_, context.d_model, context_tokens, std::nullopt);
  }
  // The latent is shared by all heads: every rank keeps all of it.
  std::uint64_t cache_split_heads() const override { return 1; }
  std::optional<reference::Binding> reference_binding() const override { return binding(shape_); }

 private:
  MlaShape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  return std::make_unique<MultiHeadLatentAttention>(mla_shape(values));
}
}  // namespace

MixerKind kind_info() {
  return {"mla",
          "multi-head latent attention: cache kv_lora_rank + qk_rope_head_dim per token",
          &fields(),
          &from_fields,
          {"c_kv+k_rope (kv): dc + dr per token, shared by all heads"},
          {"absorbed", "naive"},
          {{"mla", "MLA", "MLA"}},
          &facet()};
}

}  // namespace attnsim::mla
