// Applying an engine profile to the layer graph: each layer's cache terms (Mixer::cache_terms)
// priced with the engine's dtypes, record formats, page rounding and per-sequence slots.
#include "cost/engine.h"

#include <algorithm>

#include "core/error.h"
#include "cost/layer_cache.h"
#include "cost/memory.h"

namespace attnsim {

namespace {
// vLLM fp8_ds_mla-style record: quantised latent + one scale per block + 16-bit RoPE key.
std::uint64_t latent_record_bytes(const LatentRecordRule& rule, const CacheTerm& term) {
  ATTNSIM_ASSERT(term.rope_elements_per_token < term.elements_per_token,
                 "a latent term holds more than its RoPE key");
  const std::uint64_t latent = term.elements_per_token - term.rope_elements_per_token;
  const std::uint64_t blocks = latent / rule.quant_block + (latent % rule.quant_block != 0 ? 1 : 0);
  std::uint64_t bytes = bytes_for_elements(latent, rule.latent_dtype, "latent record");
  bytes =
      checked_add(bytes, checked_mul(blocks, rule.scale_bytes, "latent record"), "latent record");
  return checked_add(bytes,
                     bytes_for_elements(term.rope_elements_per_token, rule.rope_dtype, "latent"),
                     "latent record");
}

// Whether the mixer's kind (Mixer::kind) is in a profile's list.
bool listed(const std::vector<std::string>& kinds, const Mixer& mixer) {
  return std::find(kinds.begin(), kinds.end(), std::string(mixer.kind())) != kinds.end();
}

// The record applies to the listed kinds unless the command line asked for a KV dtype other than
// fp8 (vLLM switches 'auto' and 'fp8*' to fp8_ds_mla and keeps an explicit bfloat16).
bool uses_latent_record(const EngineProfile& engine, const Mixer& mixer, const CacheTerm& term,
                        const CacheDTypeOverrides& overrides) {
  if (!engine.latent_record || term.rope_elements_per_token == 0) return false;
  if (overrides.kv_cache && *overrides.kv_cache != DType::fp8) return false;
  return listed(engine.latent_record->kinds, mixer);
}

bool charges_windows_in_full(const EngineProfile& engine, const Architecture& architecture) {
  const auto& families = engine.sliding_window_full_for_families;
  return engine.sliding_window_in_full ||
         std::find(families.begin(), families.end(), architecture.family) != families.end();
}

LayerCache engine_layer(const Layer& layer, const CacheDTypes& model_dtypes,
                         const EngineProfile& engine, const CacheDTypeOverrides& overrides,
                         bool windows_in_full) {
  const Mixer& mixer = *layer.mixer;
  const std::string kind(mixer.kind());
  CacheDTypes dtypes = model_dtypes;
  if (auto forced = engine.forced_dtypes_by_kind.find(kind);
      forced != engine.forced_dtypes_by_kind.end())
    dtypes = apply_overrides(dtypes, forced->second);
  LayerCache out;
  out.kind = mixer.layer_kind();
  const auto block = engine.block_tokens_by_kind.find(kind);
  out.block_tokens =
      block != engine.block_tokens_by_kind.end() ? block->second : engine.block_tokens;
  for (const auto& term : mixer.cache_terms()) {
    // A layer reading an earlier layer's KV stores none of its own (as in the paper model).
    const DType dtype = cache_term_dtype(term, dtypes);
    if (term.elements_per_token > 0 && !layer.kv_shared_from) {
      const std::uint64_t per_token = uses_latent_record(engine, mixer, term, overrides)
                                          ? latent_record_bytes(*engine.latent_record, term)
                                          : term_bytes_per_token(term, dtype);
      const std::optional<std::uint64_t> cap = windows_in_full ? std::nullopt : term.max_tokens;
      out.growing.push_back({per_token, cap, !term.chunked});
      if (term.rope_elements_per_token > 0 && listed(engine.separate_v_latent_kinds, mixer)) {
        const std::uint64_t latent = term.elements_per_token - term.rope_elements_per_token;
        out.growing.push_back(
            {bytes_for_elements(latent, dtype, "V latent bytes per token"), cap, !term.chunked});
      }
    }
    out.state_bytes_per_slot =
        checked_add(out.state_bytes_per_slot, term_state_bytes(term, dtype), "state bytes");
  }
  return out;
}

// vLLM HybridAttentionMambaModelConfig: page = align · cdiv(state page, align · attention bytes
// per token), never below the layer's own page; every state page is padded to that page.
void unify_hybrid_pages(std::vector<LayerCache>& layers, std::uint64_t align) {
  std::uint64_t attention_bytes_per_token = 0;
  std::uint64_t state_page = 0;
  for (const auto& layer : layers) {
    attention_bytes_per_token = std::max(attention_bytes_per_token, layer.kv_bytes_per_token());
    state_page = std::max(state_page, layer.state_bytes_per_slot);
  }
  if (attention_bytes_per_token == 0 || state_page == 0) return;  // not a hybrid model
  const std::uint64_t unit = checked_mul(align, attention_bytes_per_token, "page bytes");
  const std::uint64_t block =
      checked_mul(align, state_page / unit + (state_page % unit != 0 ? 1 : 0), "page tokens");
  for (auto& layer : layers) {
    layer.block_tokens = std::max(layer.block_tokens, block);
    if (layer.state_bytes_per_slot > 0)
      layer.state_bytes_per_slot =
          checked_mul(layer.block_tokens, attention_bytes_per_token, "state page");
  }
}
}  // namespace

MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides) {
  const MemoryReport paper = kv_memory(architecture, contexts, batch, overrides);
  MemoryReport report;
  report.name = architecture.name;
  report.dtypes =
      apply_overrides(apply_overrides(architecture.dtypes, engine.default_dtypes), overrides);
  report.layers = paper.layers;

  std::vector<LayerCache> layers;
  CacheDTypes shown = report.dtypes;  // the summary names the dtypes the engine forces, too
  const bool windows_in_full = charges_windows_in_full(engine, architecture);
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    layers.push_back(engine_layer(layer, report.dtypes, engine, overrides, windows_in_full));
    if (auto forced = engine.forced_dtypes_by_kind.find(std::string(layer.mixer->kind()));
        forced != engine.forced_dtypes_by_kind.end())
      shown = apply_overrides(shown, forced->second);
  }
  report.dtypes = shown;
  if (engine.hybrid_page_align_tokens) unify_hybrid_pages(layers, *engine.hybrid_page_align_tokens);

  const std::uint64_t slots = engine.state_slots_per_sequence;
  for (const auto& layer : layers) {
    report.kv_bytes_per_token =
        checked_add(report.kv_bytes_per_token, layer.kv_bytes_per_token(), "KV bytes");
    report.state_bytes_per_sequence =
        checked_add(report.state_bytes_per_sequence,
                    checked_mul(layer.state_bytes_per_slot, slots, "state bytes"), "state bytes");
  }
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    MemoryRow row;
    row.context = contexts[i];
    row.batch = batch;
    row.full_attention_bytes = paper.rows[i].full_attention_bytes;
    for (const auto& layer : layers) charge_layer(row, layer, slots, batch);
    row.total_bytes = checked_add(row.kv_bytes, row.state_bytes, "total bytes");
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace attnsim
