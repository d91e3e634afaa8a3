// Applying an engine profile to the layer graph: each layer's cache terms (Mixer::cache_terms)
// priced with the engine's dtypes, record formats, page rounding and per-sequence slots.
#include "cost/engine.h"

#include <fmt/format.h>

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
  bytes = checked_add(bytes, rule.pad_bytes, "latent record");
  return checked_add(bytes,
                     bytes_for_elements(term.rope_elements_per_token, rule.rope_dtype, "latent"),
                     "latent record");
}

// Whether the mixer's kind (Mixer::kind) is in a profile's list.
bool listed(const std::vector<std::string>& kinds, const Mixer& mixer) {
  return std::find(kinds.begin(), kinds.end(), std::string(mixer.kind())) != kinds.end();
}

// The record applies to the listed kinds when the command line asks for fp8, and by default
// unless it is tied to a GPU generation the target does not reach (vLLM switches 'auto' and
// 'fp8*' to fp8_ds_mla and keeps an explicit bfloat16; SGLang picks fp8_e4m3 for DSA on SM100).
// The record a term is stored in, if any. It applies to the listed kinds when the command line
// asks for fp8, and by default unless it is tied to a GPU generation the target does not reach
// (vLLM switches 'auto' and 'fp8*' to fp8_ds_mla and keeps an explicit bfloat16; SGLang picks
// fp8_e4m3 for DSA on SM100). An MLA latent (a term with a RoPE part) takes fp8_latent_record,
// else compressed_record; a term named "indexer keys" takes indexer_key_record.
const LatentRecordRule* record_for(const EngineProfile& engine, const Mixer& mixer,
                                   const CacheTerm& term, const CacheDTypeOverrides& overrides,
                                   std::optional<std::uint64_t> cuda_sm) {
  const auto applies = [&](const std::optional<LatentRecordRule>& rule) {
    if (!rule || !listed(rule->kinds, mixer)) return false;
    if (overrides.kv_cache) return *overrides.kv_cache == DType::fp8;
    const auto& from = rule->default_from_sm;
    return !from || (cuda_sm && *cuda_sm >= *from);
  };
  if (term.rope_elements_per_token > 0) {
    if (applies(engine.latent_record)) return &*engine.latent_record;
    if (applies(engine.compressed_record)) return &*engine.compressed_record;
  } else if (term.name == "indexer keys" && applies(engine.indexer_key_record)) {
    return &*engine.indexer_key_record;
  }
  return nullptr;
}

bool charges_windows_in_full(const EngineProfile& engine, const Architecture& architecture) {
  const auto& families = engine.sliding_window_full_for_families;
  return engine.sliding_window_in_full ||
         std::find(families.begin(), families.end(), architecture.family) != families.end();
}

// A term as the engine stores it: unquantised, expanded MLA latent, K (or K − 1) conv columns
// plus `extra_conv_columns` (vLLM keeps one more per speculative token).
CacheTerm stored_term(const EngineProfile& engine, const Mixer& mixer, CacheTerm term,
                      std::uint64_t extra_conv_columns) {
  const auto& plain = engine.unquantised_terms;
  if (std::find(plain.begin(), plain.end(), term.name) != plain.end()) {
    term.dtype.reset();
    term.extra_bytes_per_token = 0;
  }
  if (term.decompressed_elements_per_token > 0 && listed(engine.decompressed_latent_kinds, mixer)) {
    term.elements_per_token = term.decompressed_elements_per_token;
    term.rope_elements_per_token = 0;
  }
  if ((engine.conv_state_full_kernel || extra_conv_columns > 0) && term.conv_kernel > 1) {
    const std::uint64_t columns = term.conv_kernel - 1;
    ATTNSIM_ASSERT(term.elements_per_sequence % columns == 0, "conv state of K − 1 columns");
    const std::uint64_t kept =
        checked_add(engine.conv_state_full_kernel ? term.conv_kernel : columns, extra_conv_columns,
                    "conv columns");
    term.elements_per_sequence =
        checked_mul(term.elements_per_sequence / columns, kept, "conv state");
  }
  if (engine.sliding_window_extra_tokens > 0 && term.max_tokens) {  // a fixed-size cache
    term.max_tokens = checked_add(*term.max_tokens, engine.sliding_window_extra_tokens, "window");
    term.chunked = false;
  }
  if (engine.sliding_window_minus_one && term.max_tokens) {
    ATTNSIM_ASSERT(*term.max_tokens > 0, "a window of at least one token");
    term.max_tokens = *term.max_tokens - 1;
    term.chunked = false;
  }
  return term;
}

// A --kv-dtype the engine cannot store is the user's mistake, named with the engine's own list.
void check_kv_dtype(const EngineProfile& engine, const CacheDTypeOverrides& overrides) {
  if (!overrides.kv_cache) return;
  const DType wanted = *overrides.kv_cache;
  const auto& allowed = engine.kv_cache_dtypes;
  if (allowed.empty() ? !is_ggml_block_type(wanted)
                      : std::find(allowed.begin(), allowed.end(), wanted) != allowed.end())
    return;
  std::string expected = fmt::format("a KV-cache dtype {} stores: ", engine.display_name);
  if (allowed.empty()) {
    expected += "any but ggml's block types (q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl)";
  } else {
    for (std::size_t i = 0; i < allowed.size(); ++i)
      expected += fmt::format("{}{}", i == 0 ? "" : ", ", dtype_name(allowed[i]));
  }
  throw UserError({}, "--kv-dtype", expected, fmt::format("'{}'", dtype_name(wanted)),
                  is_ggml_block_type(wanted)
                      ? "ggml's block types are llama.cpp's --cache-type-k/-v: use --engine "
                        "llama.cpp or llama-server"
                      : "pick one of the listed dtypes, or --engine paper for any storage format");
}

// Tokens per page: the family's rule, else the mixer kind's, else the profile's.
std::uint64_t block_tokens_for(const EngineProfile& engine, const std::string& family,
                               const std::string& kind) {
  if (auto it = engine.block_tokens_by_family.find(family);
      it != engine.block_tokens_by_family.end())
    return it->second;
  if (auto it = engine.block_tokens_by_kind.find(kind); it != engine.block_tokens_by_kind.end())
    return it->second;
  return engine.block_tokens;
}

LayerCache engine_layer(const Layer& layer, const std::string& family,
                        const CacheDTypes& model_dtypes, const EngineProfile& engine,
                        const CacheDTypeOverrides& overrides, std::optional<std::uint64_t> cuda_sm,
                        bool windows_in_full, std::uint64_t extra_conv_columns) {
  const Mixer& mixer = *layer.mixer;
  const std::string kind(mixer.kind());
  CacheDTypes dtypes = model_dtypes;
  if (auto forced = engine.forced_dtypes_by_kind.find(kind);
      forced != engine.forced_dtypes_by_kind.end())
    dtypes = apply_overrides(dtypes, forced->second);
  LayerCache out;
  out.kind = mixer.layer_kind();
  out.block_tokens = block_tokens_for(engine, family, kind);
  for (const auto& cached : mixer.cache_terms()) {
    const CacheTerm term = stored_term(engine, mixer, cached, extra_conv_columns);
    // A layer reading an earlier layer's KV stores none of its own (as in the paper model).
    const DType dtype = cache_term_dtype(term, dtypes);
    if (term.elements_per_token > 0 && !layer.kv_shared_from) {
      const LatentRecordRule* record = record_for(engine, mixer, term, overrides, cuda_sm);
      const std::uint64_t per_token =
          record ? latent_record_bytes(*record, term) : term_bytes_per_token(term, dtype);
      const std::optional<std::uint64_t> cap = windows_in_full ? std::nullopt : term.max_tokens;
      out.growing.push_back({per_token, cap, !term.chunked, 0, term.tokens_per_entry,
                             record ? record->page_bytes_multiple : 1});
      if (term.rope_elements_per_token > 0 && listed(engine.separate_v_latent_kinds, mixer)) {
        const std::uint64_t latent = term.elements_per_token - term.rope_elements_per_token;
        out.growing.push_back(
            {bytes_for_elements(latent, dtype, "V latent bytes per token"), cap, !term.chunked, 0});
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

// The model's attention head size as vLLM's get_head_size reads it: a K+V term of a layer without
// a latent, over 2 × its KV heads (Dk = Dv); nullopt without one.
std::optional<std::uint64_t> attention_head_dim(const Architecture& architecture) {
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer || layer.kv_shared_from) continue;
    for (const auto& term : layer.mixer->cache_terms())
      if (term.role == CacheRole::kv && term.elements_per_token > 0 &&
          term.rope_elements_per_token == 0 && term.tokens_per_entry == 1)
        return term.elements_per_token / (2 * layer.mixer->cache_split_heads());
  }
  return std::nullopt;
}

// The engine would not start: an attention page of a size it refuses for this head size.
void refuse_pages(const EngineProfile& engine, const Architecture& architecture,
                  const std::vector<LayerCache>& layers, std::optional<std::uint64_t> cuda_sm) {
  if (engine.refused_block_tokens_by_head_dim.empty()) return;
  const auto head_dim = attention_head_dim(architecture);
  if (!head_dim) return;
  const auto rule = engine.refused_block_tokens_by_head_dim.find(*head_dim);
  if (rule == engine.refused_block_tokens_by_head_dim.end()) return;
  for (const auto& layer : layers)
    if (!layer.growing.empty() && layer.block_tokens == rule->second.block_tokens)
      throw UserError(
          rule->second.where, rule->second.key_path,
          fmt::format("a model {} starts on this GPU", engine.display_name),
          fmt::format("{}: head size {} in {}-token pages on SM {}, which {} refuses",
                      architecture.name, *head_dim, layer.block_tokens, cuda_sm.value_or(0),
                      engine.display_name),
          "the engine asks for another page size (vLLM: --block-size 32 or 64); the rule's "
          "source is in the profile");
}

std::uint64_t hybrid_alignment(const EngineProfile& engine, const Architecture& architecture) {
  if (const auto head_dim = attention_head_dim(architecture))
    if (auto it = engine.hybrid_page_align_tokens_by_head_dim.find(*head_dim);
        it != engine.hybrid_page_align_tokens_by_head_dim.end())
      return it->second;
  return *engine.hybrid_page_align_tokens;
}
}  // namespace

namespace {
// What engine_layer does to the architecture's KV terms beyond its dtype, in words.
std::string kv_storage(const Architecture& architecture, const EngineProfile& engine,
                       const CacheDTypeOverrides& overrides, std::optional<std::uint64_t> cuda_sm) {
  const LatentRecordRule* record = nullptr;
  bool expanded = false;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    for (const auto& term : layer.mixer->cache_terms()) {
      expanded = expanded || (term.decompressed_elements_per_token > 0 &&
                              listed(engine.decompressed_latent_kinds, *layer.mixer));
      if (!expanded && !record && term.rope_elements_per_token > 0)
        record = record_for(engine, *layer.mixer, term, overrides, cuda_sm);
    }
  }
  if (record) return fmt::format("{} latent record", dtype_name(record->latent_dtype));
  return expanded ? "expanded MLA K/V" : "";
}

bool names_kind(const std::string& listed_kind, const Mixer& mixer) {
  const std::string layer_kind = mixer.layer_kind();
  if (listed_kind == mixer.kind() || listed_kind == layer_kind) return true;
  return layer_kind.size() > listed_kind.size() &&
         layer_kind.ends_with("_" + listed_kind);  // "gated_sliding_attn" is a "sliding_attn"
}

bool concerns(const EngineNote& note, const Architecture& architecture) {
  if (note.layer_kinds.empty() && note.families.empty()) return true;
  if (std::find(note.families.begin(), note.families.end(), architecture.family) !=
      note.families.end())
    return true;
  for (const auto& layer : architecture.layers)
    if (layer.mixer)
      for (const auto& kind : note.layer_kinds)
        if (names_kind(kind, *layer.mixer)) return true;
  return false;
}
}  // namespace

EngineProfile profile_for_gpu(const EngineProfile& engine, std::optional<std::uint64_t> cuda_sm) {
  EngineProfile out = engine;
  if (!cuda_sm) return out;
  for (const auto& defaults : engine.gpu_defaults) {
    if (*cuda_sm < defaults.from_sm || (defaults.below_sm && *cuda_sm >= *defaults.below_sm))
      continue;
    if (defaults.block_tokens) out.block_tokens = *defaults.block_tokens;
    for (const auto& [kind, tokens] : defaults.block_tokens_by_kind)
      out.block_tokens_by_kind[kind] = tokens;
    for (const auto& [family, tokens] : defaults.block_tokens_by_family)
      out.block_tokens_by_family[family] = tokens;
    for (const auto& [head_dim, tokens] : defaults.hybrid_page_align_tokens_by_head_dim)
      out.hybrid_page_align_tokens_by_head_dim[head_dim] = tokens;
    for (const auto& [head_dim, refusal] : defaults.refused_block_tokens_by_head_dim)
      out.refused_block_tokens_by_head_dim[head_dim] = refusal;
  }
  return out;
}

std::vector<LayerCache> engine_layers(const Architecture& architecture,
                                      const EngineProfile& profile,
                                      const CacheDTypeOverrides& overrides,
                                      std::optional<std::uint64_t> cuda_sm, std::uint64_t tp,
                                      std::uint64_t extra_conv_columns) {
  ATTNSIM_ASSERT(tp > 0, "at least one rank");
  const EngineProfile engine = profile_for_gpu(profile, cuda_sm);
  check_kv_dtype(engine, overrides);
  const CacheDTypes dtypes =
      apply_overrides(apply_overrides(architecture.dtypes, engine.default_dtypes), overrides);
  const bool windows_in_full = charges_windows_in_full(engine, architecture);
  std::vector<LayerCache> layers;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    LayerCache cache = engine_layer(layer, architecture.family, dtypes, engine, overrides, cuda_sm,
                                    windows_in_full, extra_conv_columns);
    // One rank keeps max(1, n / tp) of the n heads the cache is split over (replicas when tp > n).
    const std::uint64_t heads = layer.mixer->cache_split_heads();
    const std::uint64_t kept = std::max<std::uint64_t>(1, heads / tp);
    const auto per_rank = [&](std::uint64_t bytes) {
      return checked_mul(bytes, kept, "per-rank bytes") / heads;
    };
    for (auto& term : cache.growing) {
      term.bytes_per_token = per_rank(term.bytes_per_token);
      term.persistent_tokens = architecture.dims.meta_tokens.value_or(0);  // held like the prompt
    }
    cache.state_bytes_per_slot = per_rank(cache.state_bytes_per_slot);
    layers.push_back(std::move(cache));
  }
  if (engine.hybrid_page_align_tokens)
    unify_hybrid_pages(layers, hybrid_alignment(engine, architecture));
  refuse_pages(engine, architecture, layers, cuda_sm);
  return layers;
}

std::vector<EngineNote> notes_for(const EngineProfile& engine,
                                  const std::vector<Architecture>& architectures,
                                  const CacheDTypeOverrides& overrides) {
  std::vector<EngineNote> notes;
  for (const auto& note : engine.not_modelled) {
    const auto& dtypes = note.kv_dtypes;
    if (!dtypes.empty() && (!overrides.kv_cache || std::find(dtypes.begin(), dtypes.end(),
                                                             *overrides.kv_cache) == dtypes.end()))
      continue;
    for (const auto& architecture : architectures)
      if (concerns(note, architecture)) {
        notes.push_back(note);
        break;
      }
  }
  return notes;
}

Architecture with_mtp_layers(const Architecture& architecture) {
  if (!architecture.mtp)
    throw UserError({}, "--mtp-speculative-tokens", "a model with MTP modules to draft with",
                    fmt::format("{}, which has none", architecture.name),
                    "drop --mtp-speculative-tokens");
  Architecture drafting = architecture;
  for (std::uint64_t i = 0; i < architecture.mtp->modules; ++i)
    drafting.layers.push_back(architecture.mtp->block);
  return drafting;
}

MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides,
                           std::optional<std::uint64_t> cuda_sm) {
  EngineRun run;
  run.cuda_sm = cuda_sm;
  return engine_memory(architecture, contexts, batch, engine, overrides, run);
}

MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides,
                           const EngineRun& run) {
  const std::optional<std::uint64_t> cuda_sm = run.cuda_sm;
  const MemoryReport paper = kv_memory(architecture, contexts, batch, overrides);
  MemoryReport report;
  report.name = architecture.name;
  report.dtypes =
      apply_overrides(apply_overrides(architecture.dtypes, engine.default_dtypes), overrides);
  report.layers = paper.layers;

  CacheDTypes shown = report.dtypes;  // the summary names the dtypes the engine forces, too
  for (const auto& layer : architecture.layers)
    if (layer.mixer)
      if (auto forced = engine.forced_dtypes_by_kind.find(std::string(layer.mixer->kind()));
          forced != engine.forced_dtypes_by_kind.end())
        shown = apply_overrides(shown, forced->second);
  report.dtypes = shown;
  report.kv_storage = kv_storage(architecture, engine, overrides, cuda_sm);
  const std::uint64_t speculative = run.mtp_speculative_tokens;
  const std::vector<LayerCache> layers =
      engine_layers(speculative > 0 ? with_mtp_layers(architecture) : architecture, engine,
                    overrides, cuda_sm, run.tp, speculative);

  // vLLM reserves one more state page per speculative token (num_speculative_blocks).
  const std::uint64_t slots = checked_add(engine.state_slots_per_sequence, speculative, "slots");
  for (const auto& layer : layers) {
    report.kv_bytes_per_token =
        checked_add(report.kv_bytes_per_token, layer.kv_bytes_per_token(), "KV bytes");
    report.state_bytes_per_sequence =
        checked_add(report.state_bytes_per_sequence,
                    checked_mul(layer.state_bytes_per_slot, slots, "state bytes"), "state bytes");
  }
  const StreamLayout streams = stream_layout(engine, run, batch);
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    MemoryRow row;
    row.context = contexts[i];
    row.batch = batch;
    if (run.tp == 1) row.full_attention_bytes = paper.rows[i].full_attention_bytes;
    for (const auto& layer : layers) {
      if (!engine.kv_streams) {
        charge_layer(row, layer, slots, batch);
        continue;
      }
      // llama.cpp: the cells of every slot, and one state cell per slot, busy or not.
      const std::uint64_t per_slot = checked_mul(layer.state_bytes_per_slot, slots, "state");
      charge_layer_bytes(
          row, layer,
          stream_kv_bytes(layer, streams, row.context, batch, engine.sliding_window_extra_tokens),
          checked_mul(per_slot, streams.slots, "state bytes"), per_slot);
    }
    row.total_bytes = checked_add(row.kv_bytes, row.state_bytes, "total bytes");
    report.rows.push_back(std::move(row));
  }
  return report;
}

MemoryReport paper_memory_per_rank(const Architecture& architecture,
                                   const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                                   const CacheDTypeOverrides& overrides, std::uint64_t tp) {
  EngineProfile paper;  // no rules: one-token pages, one slot, the model's dtypes
  paper.name = "paper";
  for (const auto& name : dtype_names()) paper.kv_cache_dtypes.push_back(*parse_dtype(name));
  EngineRun run;
  run.tp = tp;
  return engine_memory(architecture, contexts, batch, paper, overrides, run);
}

}  // namespace attnsim
