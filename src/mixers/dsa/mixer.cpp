// Parameters and cache accounting of DSA (mixers-spec §3). The cache is the main attention's
// cache plus one indexer key of index_head_dim per token (V3.2 stores it in FP8 with one fp32
// scale per 128 elements: DeepSeek-V3.2-Exp inference/model.py, Indexer).
#include "mixers/dsa/mixer.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim::dsa {

namespace {
struct IndexerShape {
  std::uint64_t n_heads = 0;       // HI
  std::uint64_t head_dim = 0;      // dI
  std::uint64_t topk = 0;          // k
  std::optional<DType> key_dtype;  // default: the model's kv-cache dtype
  std::uint64_t key_scale_bytes_per_token = 0;
};

class SparseAttention final : public Mixer {
 public:
  SparseAttention(std::unique_ptr<Mixer> attention, IndexerShape indexer)
      : attention_(std::move(attention)), indexer_(indexer) {}
  std::string_view kind() const override { return "dsa"; }
  std::string describe() const override {
    return fmt::format("{} + indexer HI={} dI={} top-k={}", attention_->describe(),
                       indexer_.n_heads, indexer_.head_dim, indexer_.topk);
  }
  std::vector<CacheTerm> cache_terms() const override {
    std::vector<CacheTerm> terms = attention_->cache_terms();
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
    return std::make_unique<SparseAttention>(attention_->clone(), indexer_);
  }

 private:
  std::unique_ptr<Mixer> attention_;
  IndexerShape indexer_;
};

IndexerShape read_indexer(config::MapReader& reader) {
  IndexerShape shape;
  shape.n_heads = reader.required_positive("n_heads");
  shape.head_dim = reader.required_positive("head_dim");
  shape.topk = reader.required_positive("topk");
  shape.key_dtype = reader.optional_dtype("key_dtype");
  shape.key_scale_bytes_per_token = reader.optional_count("key_scale_bytes_per_token").value_or(0);
  reader.finish();
  return shape;
}

std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  config::MapReader attention_reader(reader.require("attention", "a map with the main attention"),
                                     reader.child_path("attention"));
  std::unique_ptr<Mixer> attention = make_mixer(attention_reader);
  if (attention->full_attention_equivalent() == nullptr || attention->kind() == "dsa")
    throw UserError(attention_reader.node().where, attention_reader.path(),
                    "an attention mixer (mla, softmax_attn or gated_attn)",
                    fmt::format("kind '{}'", attention->kind()));
  config::MapReader indexer_reader(reader.require("indexer", "a map with the indexer's shape"),
                                   reader.child_path("indexer"));
  return std::make_unique<SparseAttention>(std::move(attention), read_indexer(indexer_reader));
}
}  // namespace

MixerKind kind_info() {
  return {"dsa", "DeepSeek sparse attention: indexer keys + top-k over MLA or GQA", &from_config};
}

}  // namespace attnsim::dsa
