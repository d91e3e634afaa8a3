// Parameters and cache accounting of softmax attention (mixers-spec §1).
#include "mixers/softmax_attn/mixer.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim::softmax_attn {

AttentionShape read_attention_shape(config::MapReader& reader) {
  AttentionShape shape;
  shape.n_heads = reader.required_positive("n_heads");
  shape.n_kv_heads = reader.required_positive("n_kv_heads");
  if (reader.has("head_dim")) {
    shape.head_dim_k = reader.required_positive("head_dim");
    shape.head_dim_v = shape.head_dim_k;
    for (const char* key : {"head_dim_k", "head_dim_v"})
      if (reader.has(key))
        throw UserError(reader.require(key, "").where, reader.child_path(key),
                        "either head_dim or head_dim_k + head_dim_v", "both", "remove one of them");
  } else {
    shape.head_dim_k = reader.required_positive("head_dim_k");
    shape.head_dim_v = reader.required_positive("head_dim_v");
  }
  reader.declare("head_dim_k");
  reader.declare("head_dim_v");
  shape.window = reader.optional_positive("window");
  shape.chunk = reader.optional_positive("chunk");
  shape.rope = reader.optional_bool("rope", true);
  if (shape.n_heads % shape.n_kv_heads != 0)
    throw UserError(reader.require("n_kv_heads", "").where, reader.child_path("n_kv_heads"),
                    fmt::format("a divisor of n_heads ({})", shape.n_heads),
                    std::to_string(shape.n_kv_heads),
                    "each kv head serves n_heads / n_kv_heads query heads");
  if (shape.window && shape.chunk)
    throw UserError(reader.require("chunk", "").where, reader.child_path("chunk"),
                    "either window or chunk", "both", "a layer is sliding or chunked, not both");
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
  return term;
}

std::string attention_layer_kind(const AttentionShape& shape, std::string_view prefix) {
  if (shape.window) return fmt::format("{}sliding_attn", prefix);
  if (shape.chunk) return fmt::format("{}chunked_attn", prefix);
  if (!shape.rope) return fmt::format("{}nope_attn", prefix);
  return fmt::format("{}full_attn", prefix);
}

namespace {
class SoftmaxAttention final : public Mixer {
 public:
  explicit SoftmaxAttention(AttentionShape shape) : shape_(shape) {}
  std::string_view kind() const override { return "softmax_attn"; }
  std::string layer_kind() const override { return attention_layer_kind(shape_, ""); }
  std::string describe() const override { return softmax_attn::describe(shape_); }
  std::vector<CacheTerm> cache_terms() const override { return {kv_term(shape_)}; }
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    AttentionShape dense = shape_;
    dense.window.reset();
    dense.chunk.reset();
    return std::make_unique<SoftmaxAttention>(dense);
  }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<SoftmaxAttention>(*this);
  }

 private:
  AttentionShape shape_;
};

std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  return std::make_unique<SoftmaxAttention>(read_attention_shape(reader));
}
}  // namespace

MixerKind kind_info() {
  return {"softmax_attn", "causal softmax attention: MHA/GQA/MQA, sliding window, chunked, NoPE",
          &from_config};
}

}  // namespace attnsim::softmax_attn
