// Executions of the attention kinds: softmax_attn (through its KV cache), gated_attn, MLA
// (naive prefill, absorbed decode, as the cost model counts them) and DSA on MLA or GQA.
// Queries run with query_block 1, so no masked pair is computed (the "half" convention).
#include <algorithm>

#include "config/reader.h"
#include "mixers/dsa/reference.h"
#include "mixers/gated_attn/reference.h"
#include "mixers/mla/reference.h"
#include "mixers/softmax_attn/reference.h"
#include "sim/kinds.h"

namespace attnsim::sim {

namespace {

std::int64_t count(config::MapReader& reader, std::string_view key) {
  return static_cast<std::int64_t>(reader.required_positive(key));
}

std::optional<std::int64_t> optional_count(config::MapReader& reader, std::string_view key) {
  const auto value = reader.optional_positive(key);
  if (!value) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

struct HeadDims {
  std::int64_t k = 0;
  std::int64_t v = 0;
};

HeadDims head_dims(config::MapReader& reader) {
  if (reader.has("head_dim")) {
    const std::int64_t d = count(reader, "head_dim");
    return {d, d};
  }
  return {count(reader, "head_dim_k"), count(reader, "head_dim_v")};
}

}  // namespace

std::optional<LayerRun> run_softmax_attn(const config::Node& node, const std::string& path,
                                         const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  if (reader.has("chunk")) return std::nullopt;  // chunked local attention: no kernel form
  const std::int64_t Hq = count(reader, "n_heads");
  const std::int64_t Hkv = count(reader, "n_kv_heads");
  const HeadDims d = head_dims(reader);
  softmax_attn::Options options;
  options.window = optional_count(reader, "window");
  options.query_block = 1;
  softmax_attn::KvCache cache;
  LayerRun run;
  const auto step = [&](std::int64_t tokens, OpCounts& counts) {
    const auto result = softmax_attn::run_with_cache(
        cache, random_normal({1, tokens, Hq, d.k}, rng), random_normal({1, tokens, Hkv, d.k}, rng),
        random_normal({1, tokens, Hkv, d.v}, rng), options);
    counts.merge(result.counts);
  };
  step(plan.tokens, run.prefill);
  for (std::int64_t i = 0; i < plan.decode_steps; ++i) step(1, run.decode);
  run.kept.push_back({"k+v", CacheRole::kv, cache.elements(), std::nullopt, 0});
  return run;
}

std::optional<LayerRun> run_gated_attn(const config::Node& node, const std::string& path,
                                       const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t Hq = count(reader, "n_heads");
  const std::int64_t Hkv = count(reader, "n_kv_heads");
  const std::int64_t D = count(reader, "head_dim");
  gated_attn::Options options;
  // RoPE is elementwise and not counted; the rotated width int(D·ρ) is rounded down to even so
  // that any scaled D is accepted by the kernel.
  const double factor = reader.optional_number("partial_rotary_factor").value_or(1.0);
  const auto rotary = static_cast<std::int64_t>(static_cast<double>(D) * factor) / 2 * 2;
  options.partial_rotary_factor = static_cast<double>(rotary) / static_cast<double>(D);
  options.window = optional_count(reader, "window");
  options.query_block = 1;
  // The simulator holds the cache (k, v of every token so far) and passes it to each call.
  gated_attn::Inputs inputs;
  inputs.q_norm_weight = random_normal({D}, rng);
  inputs.k_norm_weight = random_normal({D}, rng);
  LayerRun run;
  std::int64_t cache_elements = 0;
  const auto step = [&](std::int64_t tokens, OpCounts& counts) {
    inputs.q_and_gate = random_normal({1, tokens, Hq, 2 * D}, rng);
    append_tokens(inputs.k, random_normal({1, tokens, Hkv, D}, rng));
    append_tokens(inputs.v, random_normal({1, tokens, Hkv, D}, rng));
    const auto result = gated_attn::run(inputs, options);
    counts.merge(result.counts);
    cache_elements = result.cache_elements;
  };
  step(plan.tokens, run.prefill);
  for (std::int64_t i = 0; i < plan.decode_steps; ++i) step(1, run.decode);
  run.kept.push_back({"k+v", CacheRole::kv, cache_elements, std::nullopt, 0});
  return run;
}

namespace {

struct MlaDims {
  std::int64_t H, dn, dr, dv, dc;
};

MlaDims mla_dims(config::MapReader& reader) {
  return {count(reader, "n_heads"), count(reader, "qk_nope_head_dim"),
          count(reader, "qk_rope_head_dim"), count(reader, "v_head_dim"),
          count(reader, "kv_lora_rank")};
}

// MLA inputs of `tokens` new tokens appended to the latent history held in `inputs`.
void next_mla_inputs(mla::Inputs& inputs, const MlaDims& m, std::int64_t tokens, Rng& rng) {
  inputs.q_nope = random_normal({1, tokens, m.H, m.dn}, rng);
  inputs.q_pe = random_normal({1, tokens, m.H, m.dr}, rng);
  append_tokens(inputs.c_kv, random_normal({1, tokens, m.dc}, rng));
  append_tokens(inputs.k_pe, random_normal({1, tokens, m.dr}, rng));
}

mla::Inputs first_mla_inputs(const MlaDims& m, Rng& rng) {
  mla::Inputs inputs;
  inputs.w_uk = random_normal({m.H, m.dn, m.dc}, rng);
  inputs.w_uv = random_normal({m.H, m.dv, m.dc}, rng);
  return inputs;
}

// Prefill in the naive (materialised) form, decode absorbed: what the cost model counts.
mla::Options mla_options(bool prefill) {
  mla::Options options;
  options.form = prefill ? mla::Form::naive : mla::Form::absorbed;
  options.query_block = 1;
  return options;
}

}  // namespace

std::optional<LayerRun> run_mla(const config::Node& node, const std::string& path,
                                const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const MlaDims m = mla_dims(reader);
  mla::Inputs inputs = first_mla_inputs(m, rng);
  LayerRun run;
  std::int64_t cache_elements = 0;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    next_mla_inputs(inputs, m, prefill ? plan.tokens : 1, rng);
    const auto result = mla::run(inputs, mla_options(prefill));
    (prefill ? run.prefill : run.decode).merge(result.counts);
    cache_elements = result.cache_elements;
  }
  run.kept.push_back({"c_kv+k_rope", CacheRole::kv, cache_elements, std::nullopt, 0});
  return run;
}

std::optional<LayerRun> run_dsa(const config::Node& node, const std::string& path,
                                const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  config::MapReader indexer_reader(reader.require("indexer", "the indexer map"),
                                   reader.child_path("indexer"));
  // A shared indexer runs nothing of its own: the attention reads the selections of the layer
  // it reuses (Layer::selection_from), step by step.
  const bool shared = indexer_reader.optional_bool("shared", false);
  ATTNSIM_ASSERT(!shared || (plan.reused_selections != nullptr &&
                             static_cast<std::int64_t>(plan.reused_selections->size()) ==
                                 plan.decode_steps + 1),
                 "the graph links a shared indexer to an earlier layer's selections");
  const std::int64_t HI = shared ? 0 : count(indexer_reader, "n_heads");
  const std::int64_t dI = shared ? 0 : count(indexer_reader, "head_dim");
  dsa::IndexerOptions indexer_options;
  indexer_options.topk = count(indexer_reader, "topk");
  indexer_options.query_block = 1;
  const std::optional<DType> key_dtype =
      shared ? std::nullopt : indexer_reader.optional_dtype("key_dtype");
  const std::uint64_t scale_bytes =
      shared ? 0 : indexer_reader.optional_count("key_scale_bytes_per_token").value_or(0);
  config::MapReader attention_reader(reader.require("attention", "the attention map"),
                                     reader.child_path("attention"));
  const std::string attention_kind = attention_reader.required_string("kind");

  dsa::IndexerInputs indexer;
  const auto next_indexer = [&](std::int64_t tokens) {
    if (shared) return;
    indexer.index_q = random_normal({1, tokens, HI, dI}, rng);
    indexer.index_w = random_normal({1, tokens, HI}, rng);
    append_tokens(indexer.index_k, random_normal({1, tokens, dI}, rng));
  };
  LayerRun run;
  std::int64_t cache_elements = 0;
  const auto record = [&](const dsa::Result& result, OpCounts& counts) {
    counts.merge(result.counts);
    cache_elements = result.cache_elements;
    run.selections.push_back(result.selection.topk_indices);
  };
  // Attention alone over the reused selection of step i (no indexer counts, no index keys).
  const auto record_attention = [&](const auto& result, OpCounts& counts) {
    counts.merge(result.counts);
    cache_elements = result.cache_elements;
  };
  if (attention_kind == "mla") {
    const MlaDims m = mla_dims(attention_reader);
    mla::Inputs inputs = first_mla_inputs(m, rng);
    for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
      const bool prefill = i == 0;
      const std::int64_t tokens = prefill ? plan.tokens : 1;
      next_indexer(tokens);
      next_mla_inputs(inputs, m, tokens, rng);
      mla::Options options = mla_options(prefill);
      options.gather_selected_keys = true;  // the architectural count the cost model uses
      if (shared) {
        options.selected_keys = &(*plan.reused_selections)[static_cast<std::size_t>(i)];
        record_attention(mla::run(inputs, options), prefill ? run.prefill : run.decode);
      } else {
        record(dsa::run_on_mla(indexer, indexer_options, inputs, options),
               prefill ? run.prefill : run.decode);
      }
    }
  } else {
    const std::int64_t Hq = count(attention_reader, "n_heads");
    const std::int64_t Hkv = count(attention_reader, "n_kv_heads");
    const HeadDims d = head_dims(attention_reader);
    softmax_attn::Inputs inputs;
    for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
      const bool prefill = i == 0;
      const std::int64_t tokens = prefill ? plan.tokens : 1;
      next_indexer(tokens);
      inputs.q = random_normal({1, tokens, Hq, d.k}, rng);
      append_tokens(inputs.k, random_normal({1, tokens, Hkv, d.k}, rng));
      append_tokens(inputs.v, random_normal({1, tokens, Hkv, d.v}, rng));
      softmax_attn::Options options;
      options.query_block = 1;
      options.gather_selected_keys = true;
      if (shared) {
        options.selected_keys = &(*plan.reused_selections)[static_cast<std::size_t>(i)];
        record_attention(softmax_attn::run(inputs, options), prefill ? run.prefill : run.decode);
      } else {
        record(dsa::run_on_attention(indexer, indexer_options, inputs, options),
               prefill ? run.prefill : run.decode);
      }
    }
  }
  if (shared) {
    run.kept.push_back({"attention cache", CacheRole::kv, cache_elements, std::nullopt, 0});
    return run;
  }
  // The kernel's cache_elements holds the attention cache and the index keys; the keys are
  // stored in their own dtype, with the file's per-token scale bytes beside them.
  const auto index_elements = static_cast<std::int64_t>(indexer.index_k.size());
  const auto tokens_kept = static_cast<std::uint64_t>(indexer.index_k.dim(1));
  run.kept.push_back(
      {"attention cache", CacheRole::kv, cache_elements - index_elements, std::nullopt, 0});
  run.kept.push_back(
      {"index keys", CacheRole::kv, index_elements, key_dtype, scale_bytes * tokens_kept});
  return run;
}

}  // namespace attnsim::sim
