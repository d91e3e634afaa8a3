// Parameters and cache accounting of MLA (mixers-spec §2; DeepSeek-V2 paper eq. 9–10).
#include "mixers/mla/mixer.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim::mla {

MlaShape read_mla_shape(config::MapReader& reader) {
  MlaShape shape;
  shape.n_heads = reader.required_positive("n_heads");
  shape.q_lora_rank = reader.optional_count("q_lora_rank").value_or(0);
  shape.kv_lora_rank = reader.required_positive("kv_lora_rank");
  shape.qk_nope_head_dim = reader.required_positive("qk_nope_head_dim");
  shape.qk_rope_head_dim = reader.required_positive("qk_rope_head_dim");
  shape.v_head_dim = reader.required_positive("v_head_dim");
  return shape;
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
    return {term};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return clone(); }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<MultiHeadLatentAttention>(*this);
  }

 private:
  MlaShape shape_;
};

std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  return std::make_unique<MultiHeadLatentAttention>(read_mla_shape(reader));
}
}  // namespace

MixerKind kind_info() {
  return {"mla", "multi-head latent attention: cache kv_lora_rank + qk_rope_head_dim per token",
          &from_config};
}

}  // namespace attnsim::mla
