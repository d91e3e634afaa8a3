// Parameters and cache accounting of DSA (mixers-spec §3). The cache is the main attention's
// cache plus one indexer key of index_head_dim per token (V3.2 stores it in FP8 with one fp32
// scale per 128 elements: DeepSeek-V3.2-Exp inference/model.py, Indexer). A layer with a shared
// indexer (`indexer: {shared: true, topk}`, GLM-5's "shared" indexer_types) runs no indexer: it
// attends to the top-k keys of the nearest earlier layer that runs one, so it has no indexer
// keys, weights or FLOPs (transformers @008e5743 models/glm_moe_dsa/configuration_glm_moe_dsa.py).
#include "mixers/dsa/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/dsa/core_flops.h"
#include "mixers/dsa/session.h"
#include "mixers/mla/mixer.h"
#include "mixers/mla/session.h"

namespace attnsim::dsa {

namespace {
struct IndexerShape {
  std::uint64_t n_heads = 0;       // HI
  std::uint64_t head_dim = 0;      // dI
  std::uint64_t topk = 0;          // k
  std::optional<DType> key_dtype;  // default: the model's kv-cache dtype
  std::uint64_t key_scale_bytes_per_token = 0;
  std::uint64_t q_input_dim = 0;  // q latent rank of the main MLA; 0: the indexer reads D
  bool shared = false;            // reuses an earlier layer's selection: no indexer of its own
};

IndexerShapes core_shapes(const IndexerShape& shape) {
  return {static_cast<std::int64_t>(shape.n_heads), static_cast<std::int64_t>(shape.head_dim)};
}

class SparseAttention final : public Mixer {
 public:
  SparseAttention(std::unique_ptr<Mixer> attention, std::optional<mla::MlaShape> mla,
                  IndexerShape indexer)
      : attention_(std::move(attention)), mla_(mla), indexer_(indexer) {}
  std::string_view kind() const override { return "dsa"; }
  std::string describe() const override {
    if (indexer_.shared)
      return fmt::format("{} + top-k={} of an earlier layer's indexer", attention_->describe(),
                         indexer_.topk);
    return fmt::format("{} + indexer HI={} dI={} top-k={}", attention_->describe(),
                       indexer_.n_heads, indexer_.head_dim, indexer_.topk);
  }
  std::vector<CacheTerm> cache_terms() const override {
    std::vector<CacheTerm> terms = attention_->cache_terms();
    if (indexer_.shared) return terms;
    CacheTerm keys;
    keys.name = "indexer keys";
    keys.role = CacheRole::kv;
    keys.elements_per_token = indexer_.head_dim;
    keys.dtype = indexer_.key_dtype;
    keys.extra_bytes_per_token = indexer_.key_scale_bytes_per_token;
    terms.push_back(keys);
    return terms;
  }
  // Dense attention over every token needs no indexer.
  std::unique_ptr<Mixer> full_attention_equivalent() const override {
    return attention_->full_attention_equivalent();
  }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<SparseAttention>(attention_->clone(), mla_, indexer_);
  }
  // The main attention's weights plus the indexer's (DeepSeek-V3.2-Exp inference/model.py,
  // Indexer): wq_b q_in·HI·dI, wk D·dI, weights_proj D·HI, k_norm LayerNorm 2·dI.
  ParamCounts params(const ParamContext& context) const override {
    return params_by_component(weight_tensors(context));
  }
  // The indexer as DeepseekV32Indexer names its tensors (wq_b, wk, k_norm, weights_proj).
  std::vector<WeightTensor> weight_tensors(const ParamContext& context) const override {
    std::vector<WeightTensor> tensors = attention_->weight_tensors(context);
    if (indexer_.shared) return tensors;
    const Count d_model = context.d_model;
    const Count q_in = indexer_.q_input_dim > 0 ? Count(indexer_.q_input_dim) : d_model;
    const Count heads = indexer_.n_heads;
    const Count head_dim = indexer_.head_dim;
    for (WeightTensor tensor :
         std::vector<WeightTensor>{{"indexer.wq_b.weight", "indexer", q_in * heads * head_dim},
                                   {"indexer.wk.weight", "indexer", d_model * head_dim},
                                   {"indexer.k_norm.weight", "indexer", head_dim},
                                   {"indexer.k_norm.bias", "indexer", head_dim},
                                   {"indexer.weights_proj.weight", "indexer", d_model * heads}})
      tensors.push_back(std::move(tensor));
    return tensors;
  }
  // Indexer over every visible key (mixers-spec §3) plus the main attention over the top-k
  // selected keys only (gathered: the architectural count, not V3.2's masked dense prefill).
  // The selection does not depend on the causal convention; the indexer does.
  FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const override {
    if (indexer_.shared) return attention_prefill(context, tokens);
    const auto T = static_cast<std::int64_t>(tokens);
    const std::int64_t block = context.causal == CausalConvention::half ? 1 : T;
    FlopCounts flops = core_flops_indexer(core_shapes(indexer_), T, T, block);
    add_macs(flops, "indexer",
             static_cast<double>(indexer_weights(context.d_model)) * static_cast<double>(tokens));
    return combined(flops, attention_prefill(context, tokens));
  }
  FlopCounts decode_flops(const FlopContext& context, std::uint64_t context_tokens) const override {
    FlopCounts flops;
    if (!indexer_.shared) {
      flops = core_flops_indexer(core_shapes(indexer_), 1,
                                 static_cast<std::int64_t>(context_tokens), 1);
      add_macs(flops, "indexer", static_cast<double>(indexer_weights(context.d_model)));
    }
    const std::uint64_t selected = std::min(context_tokens, indexer_.topk);
    if (mla_)
      return combined(flops,
                      mla::mla_decode_flops(*mla_, context.d_model, context_tokens, indexer_.topk));
    return combined(flops, attention_->decode_flops(context, selected));
  }
  std::uint64_t cache_split_heads() const override { return attention_->cache_split_heads(); }
  std::optional<TopkSelection> topk_selection() const override {
    return TopkSelection{indexer_.shared ? TopkSelection::Role::reuses : TopkSelection::Role::makes,
                         indexer_.topk};
  }
  // The main attention's sizes (generic attention names its query heads H, as mixers-spec §3)
  // with the indexer's HI, dI and top-k.
  std::optional<reference::Binding> reference_binding() const override {
    std::optional<reference::Binding> bound =
        mla_ ? mla::binding(*mla_) : attention_->reference_binding();
    if (!bound) return bound;
    if (!mla_) bound->set("H", bound->size("Hq"));
    bound->set("attention", std::string(mla_ ? "mla" : "generic"));
    bound->set("topk", static_cast<std::int64_t>(indexer_.topk));
    bound->set("shared", indexer_.shared);
    if (indexer_.shared) return bound;
    bound->set("HI", static_cast<std::int64_t>(indexer_.n_heads));
    bound->set("dI", static_cast<std::int64_t>(indexer_.head_dim));
    return bound;
  }

 private:
  Count indexer_weights(Count d_model) const {
    const Count q_in = indexer_.q_input_dim > 0 ? Count(indexer_.q_input_dim) : d_model;
    const Count heads = indexer_.n_heads;
    const Count head_dim = indexer_.head_dim;
    return q_in * heads * head_dim + d_model * head_dim + d_model * heads;
  }
  // MLA: the naive form restricted to the top-k (mla_prefill_flops). GQA: the first k queries
  // see fewer than k keys (a dense prefill of k tokens); every later query attends exactly k
  // keys, like a decode step at context k.
  FlopCounts attention_prefill(const FlopContext& context, std::uint64_t tokens) const {
    if (mla_) return mla::mla_prefill_flops(*mla_, context, tokens, indexer_.topk);
    const std::uint64_t dense = std::min(tokens, indexer_.topk);
    FlopCounts flops = attention_->prefill_flops(context, dense);
    if (tokens > dense)
      flops = combined(flops, scaled(attention_->decode_flops(context, indexer_.topk),
                                     static_cast<double>(tokens - dense)));
    return flops;
  }

  std::unique_ptr<Mixer> attention_;
  std::optional<mla::MlaShape> mla_;
  IndexerShape indexer_;
};

const FieldTable& indexer_fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"shared", flag, FieldRole::none, "false", "",
       "runs no indexer: reuses the top-k of the nearest earlier layer that runs one (GLM-5)"},
      {"n_heads", positive, FieldRole::heads, "", "heads",
       "indexer heads HI (required unless shared)"},
      {"head_dim", positive, FieldRole::width, "", "channels",
       "dI: width of the indexer key cached per token (required unless shared)"},
      {"topk", positive, FieldRole::span, kRequired, "tokens", "k: keys each query attends to"},
      {"key_dtype", dtype, FieldRole::none, "", "",
       "dtype of the indexer keys (default: the model's kv_cache dtype)"},
      {"key_scale_bytes_per_token", count, FieldRole::none, "0", "bytes",
       "quantisation scales stored beside each indexer key"},
  };
  return table;
}

IndexerShape indexer_shape(config::MapReader reader) {
  const FieldValues values(reader, indexer_fields());
  reader.finish();
  IndexerShape shape;
  shape.shared = values.flag("shared");
  shape.topk = values.positive("topk");
  // A shared layer has no indexer of its own: the selection, and its shape, are the earlier
  // layer's. Every other layer needs the indexer's shape.
  for (const char* key : {"n_heads", "head_dim", "key_dtype", "key_scale_bytes_per_token"})
    if (shape.shared && values.has(key))
      values.reject(key, "no indexer shape on a shared layer (it runs no indexer)", "a value");
  if (shape.shared) return shape;
  for (const char* key : {"n_heads", "head_dim"})
    if (!values.has(key)) values.reject(key, "a positive whole number", "no such key");
  shape.n_heads = *values.optional_positive("n_heads");
  shape.head_dim = *values.optional_positive("head_dim");
  shape.key_dtype = values.dtype("key_dtype");
  shape.key_scale_bytes_per_token = values.count("key_scale_bytes_per_token");
  return shape;
}

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  config::MapReader attention_reader = values.nested("attention", "a map with the main attention");
  std::unique_ptr<Mixer> attention = make_mixer(attention_reader);
  if (attention->full_attention_equivalent() == nullptr || attention->kind() == "dsa")
    throw UserError(attention_reader.node().where, attention_reader.path(),
                    "an attention mixer (mla, softmax_attn or gated_attn)",
                    fmt::format("kind '{}'", attention->kind()));
  IndexerShape indexer = indexer_shape(values.nested("indexer", "a map with the indexer's shape"));
  // Re-read the main attention's shape when it is MLA: its q latent feeds the indexer's wq_b,
  // and its core FLOPs restrict to the top-k in closed form.
  std::optional<mla::MlaShape> mla_shape;
  if (attention->kind() == "mla") {
    config::MapReader again(attention_reader.node(), attention_reader.path());
    mla_shape = mla::mla_shape(FieldValues(again, mla::fields()));
    indexer.q_input_dim = mla_shape->q_lora_rank;
  }
  return std::make_unique<SparseAttention>(std::move(attention), mla_shape, indexer);
}

const FieldTable& fields() {
  static const FieldTable table = {
      {"attention", FieldType::mixer, FieldRole::none, kRequired, "",
       "the main attention (mla, softmax_attn or gated_attn)"},
      {"indexer",
       FieldType::map,
       FieldRole::none,
       kRequired,
       "",
       "the lightning indexer's shape",
       "",
       {},
       &indexer_fields()},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"dsa",
          "DeepSeek sparse attention: indexer keys + top-k over MLA or GQA",
          &fields(),
          &from_fields,
          {"the main attention's terms",
           "indexer keys (kv): dI per token (key_dtype, plus key_scale_bytes_per_token)"},
          {"masked", "gathered"},
          {{"dsa", "DSA", "DSA"}},
          &facet()};
}

}  // namespace attnsim::dsa
