// Engine allocation profiles (configs/engines/*.yaml): what a serving engine allocates for the KV
// cache and recurrent state, as opposed to the paper minimum of cost/memory.h. A profile is a
// short list of declarative rules, each cited to the engine's source in its file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "cost/layer_cache.h"
#include "cost/memory.h"

namespace attnsim {

// An engine that stores an MLA latent as a fixed per-token record: the latent (Dc = elements −
// rope elements) quantised in `latent_dtype` with one `scale_bytes` scale per `quant_block`
// elements, and the post-RoPE key (CacheTerm::rope_elements_per_token) in `rope_dtype`.
// vLLM's fp8_ds_mla: 512 × 1 + 512 / 128 × 4 + 64 × 2 = 656 bytes per token and layer.
struct LatentRecordRule {
  std::vector<std::string> kinds;  // mixer kinds (Mixer::kind) whose latent is stored this way
  DType latent_dtype = DType::fp8;
  std::uint64_t quant_block = 128;
  std::uint64_t scale_bytes = 4;
  DType rope_dtype = DType::bf16;
  std::uint64_t pad_bytes = 0;  // bytes after the scales (SGLang's DeepSeek V4 record: 1)
  // Each page's bytes rounded up to a multiple of this (SGLang's DeepSeek V4 pools: 576).
  std::uint64_t page_bytes_multiple = 1;
  // Absent: the record is the engine's default (vLLM). Set: the default only on GPUs of at least
  // this CUDA SM (compute capability × 10; SGLang: 100, Blackwell); below it, or without --hw,
  // only an explicit --kv-dtype fp8 selects the record.
  std::optional<std::uint64_t> default_from_sm;
};

// llama.cpp's KV cells (llama_kv_cache): allocated at start-up for n_seq_max sequence slots in
// n_seq_max streams of n_ctx_seq cells each, or, with kv_unified, in one stream of n_ctx cells;
// sliding layers' caches and recurrent states likewise (engine_streams.cpp has the rules).
struct StreamRule {
  std::optional<std::uint64_t> auto_parallel;  // slots when --parallel is not given (llama-server)
  bool auto_kv_unified = false;                // and one unified stream with them
};

// A rule looked for and not confirmed, or left out. It concerns the architectures with a layer
// of one of `layer_kinds` (Mixer::kind or Mixer::layer_kind; "sliding_attn" also matches
// "gated_sliding_attn") or of one of `families`; with neither it concerns every architecture.
struct EngineNote {
  std::string text;
  std::vector<std::string> layer_kinds;
  std::vector<std::string> families;
  // Set: the note concerns only runs whose --kv-dtype is one of these (llama.cpp's quantised V
  // cache needs flash attention).
  std::vector<DType> kv_dtypes;
};

// A page size the engine refuses to start with for models of one attention head size (vLLM's
// FlashInfer builder on SM 10.x: block 16 with head size 256), and where the rule is written.
struct BlockRefusal {
  std::uint64_t block_tokens = 0;
  SourceLocation where;
  std::string key_path;
};

// Defaults an engine picks on GPUs of CUDA SM in [from_sm, below_sm) (compute capability × 10,
// from --hw): the attention backend it selects there fixes the page size. Each key replaces the
// profile's own (maps key by key); without --hw the profile's own keys hold.
struct GpuDefaults {
  std::uint64_t from_sm = 0;
  std::optional<std::uint64_t> below_sm;  // absent: every later GPU
  std::optional<std::uint64_t> block_tokens;
  std::map<std::string, std::uint64_t> block_tokens_by_kind;
  std::map<std::string, std::uint64_t> block_tokens_by_family;
  std::map<std::uint64_t, std::uint64_t> hybrid_page_align_tokens_by_head_dim;
  std::map<std::uint64_t, BlockRefusal> refused_block_tokens_by_head_dim;
};

struct EngineProfile {
  std::string name;  // the file stem and --engine value, e.g. "vllm"
  std::string display_name;
  std::string describes;  // the engine version (and commits) the rules were read from
  std::vector<std::string> sources;
  std::vector<EngineNote> not_modelled;

  // Cache dtypes the engine uses unless the command line names one (--kv-dtype, ...).
  CacheDTypeOverrides default_dtypes;
  // The --kv-dtype values the engine can store (the profile's kv_cache_dtypes); empty: any dtype
  // but ggml's block types (q8_0, ...), which only llama.cpp's cache holds.
  std::vector<DType> kv_cache_dtypes;
  // Dtypes the engine forces in layers of a mixer kind, whatever the model or command line says.
  std::map<std::string, CacheDTypeOverrides> forced_dtypes_by_kind;
  // Tokens per page: a sequence's growing terms occupy whole pages (1 = no rounding).
  std::uint64_t block_tokens = 1;
  std::map<std::string, std::uint64_t> block_tokens_by_kind;
  // Tokens per page for every layer of a model family (Architecture::family), over the kind's:
  // SGLang picks trtllm_mla (64-token pages) on Blackwell only for the DeepSeek V3 family.
  std::map<std::string, std::uint64_t> block_tokens_by_family;
  std::vector<GpuDefaults> gpu_defaults;
  // true: sliding-window and chunked layers are charged for every token of context.
  bool sliding_window_in_full = false;
  // true: a sliding or chunked layer keeps the last W − 1 (C − 1) tokens between steps, chunks
  // included (transformers' DynamicSlidingWindowLayer serves both layer types).
  bool sliding_window_minus_one = false;
  // Tokens a sliding layer keeps beyond its window, W + n in all (llama.cpp's SWA cache with
  // swa_full off holds n_swa + n_ubatch cells: the batch being decoded beside the window).
  std::uint64_t sliding_window_extra_tokens = 0;
  // true: conv states keep all K columns (CacheTerm::conv_kernel) instead of K − 1.
  bool conv_state_full_kernel = false;
  // Model families (Architecture::family) whose sliding layers the engine charges in full even
  // though it keeps windows for other models (SGLang turns its SWA pool off for Gemma 2/3).
  std::vector<std::string> sliding_window_full_for_families;
  // vLLM hybrid models: the page is raised to a multiple of this many tokens until one attention
  // page holds one layer's recurrent state, and the state page is padded up to it.
  std::optional<std::uint64_t> hybrid_page_align_tokens;
  // The alignment for models whose attention head size (Dk = Dv) is a key here, instead of
  // hybrid_page_align_tokens (vLLM on SM 10.0: 32 for head size 256, FlashInfer's block 16 bug).
  std::map<std::uint64_t, std::uint64_t> hybrid_page_align_tokens_by_head_dim;
  // From gpu_defaults: engine_layers throws a UserError, located at the rule, for a model of that
  // head size whose attention pages would have the refused size.
  std::map<std::uint64_t, BlockRefusal> refused_block_tokens_by_head_dim;
  std::optional<LatentRecordRule> latent_record;
  // The same record for the key=value terms (window and compressed entries) of compressed
  // attention (DeepSeek V4: SGLang's 584-byte fp8 NoPE + bf16 RoPE entries), and for its indexer
  // keys (no RoPE part: SGLang's 128 fp8 values + one fp32 scale).
  std::optional<LatentRecordRule> compressed_record;
  std::optional<LatentRecordRule> indexer_key_record;
  // Mixer kinds whose MLA latent (Dc = elements − rope elements) the engine stores a second time,
  // as the V of a separate V cache (llama.cpp's deepseek2 graph before PR #19067).
  std::vector<std::string> separate_v_latent_kinds;
  // Mixer kinds whose MLA latent the engine caches expanded into per-head keys and values
  // (CacheTerm::decompressed_elements_per_token), in the KV dtype.
  std::vector<std::string> decompressed_latent_kinds;
  // Cache terms, by CacheTerm::name, that the engine keeps unquantised: in the KV dtype, without
  // the term's own dtype and scale bytes (transformers' bf16 DSA indexer keys).
  std::vector<std::string> unquantised_terms;
  // Recurrent-state slots the engine reserves per running sequence.
  std::uint64_t state_slots_per_sequence = 1;
  // Set: caches are whole streams of cells allocated at start-up (llama.cpp), not pages per
  // sequence; block_tokens pads the cells.
  std::optional<StreamRule> kv_streams;
};

std::vector<std::filesystem::path> list_engine_files();
std::vector<std::string> engine_names();  // file stems of configs/engines/*.yaml
// A profile name ("vllm") from configs/engines/, or a path to a YAML file.
EngineProfile load_engine_profile(const std::string& name_or_path);

// `engine` with the gpu_defaults that apply on a GPU of `cuda_sm` merged over its keys (the
// profile unchanged without a GPU or when none applies).
EngineProfile profile_for_gpu(const EngineProfile& engine, std::optional<std::uint64_t> cuda_sm);

// Each layer's cache as `engine` stores it (cost/layer_cache.h) on one of `tp` ranks: the bytes
// of a layer split over n heads (Mixer::cache_split_heads) scaled by max(1, n / tp) / n, then
// hybrid pages unified; the profile's gpu_defaults for `cuda_sm` apply. Layers without a mixer
// are left out. Conv states keep
// `extra_conv_columns` more columns (vLLM: one per speculative token).
std::vector<LayerCache> engine_layers(const Architecture& architecture, const EngineProfile& engine,
                                      const CacheDTypeOverrides& overrides = {},
                                      std::optional<std::uint64_t> cuda_sm = std::nullopt,
                                      std::uint64_t tp = 1, std::uint64_t extra_conv_columns = 0);

// How the engine is run, beyond the dtypes.
struct EngineRun {
  std::optional<std::uint64_t> cuda_sm;  // the GPU's (Hardware::cuda_sm, from --hw)
  std::uint64_t tp = 1;                  // tensor-parallel ranks: the report is one rank's
  // vLLM speculative decoding with the model's MTP modules (capacity.h, CapacityOptions): their
  // layers join the cache, and each recurrent layer keeps N more conv columns and N more state
  // slots per sequence (num_speculative_blocks).
  std::uint64_t mtp_speculative_tokens = 0;
  // llama.cpp (profiles with kv_streams): -np, the sequence slots (n_seq_max), and --kv-unified.
  std::optional<std::uint64_t> parallel;
  bool kv_unified = false;
};

// llama.cpp's slots and streams for `batch` sequences: --parallel N (else the profile's
// auto_parallel, else the batch itself), unified by --kv-unified (or the profile's auto rule).
// UserErrors: more sequences than slots; --parallel or --kv-unified for an engine without slots.
struct StreamLayout {
  std::uint64_t slots = 1;
  bool unified = false;
};
StreamLayout stream_layout(const EngineProfile& engine, const EngineRun& run, std::uint64_t batch);
// The cells one layer (engine_layers) allocates under `layout` so that `batch` sequences of
// `context` tokens fit, in bytes; a window term's cap holds `extra_window_tokens` beyond W.
std::uint64_t stream_kv_bytes(const LayerCache& layer, const StreamLayout& layout,
                              std::uint64_t context, std::uint64_t batch,
                              std::uint64_t extra_window_tokens);

// The architecture with its MTP modules' layers appended (as a speculative run drafts with them);
// a UserError when it has none.
Architecture with_mtp_layers(const Architecture& architecture);

// The notes of `engine.not_modelled` that concern at least one of `architectures` (and, for a
// note tied to KV dtypes, the command line's --kv-dtype).
std::vector<EngineNote> notes_for(const EngineProfile& engine,
                                  const std::vector<Architecture>& architectures,
                                  const CacheDTypeOverrides& overrides = {});

// What `engine` allocates for `architecture` at each context and batch, in the shape of the paper
// report (the full-attention baseline stays the paper minimum's). `overrides` are the command
// line's dtypes; they replace the profile's defaults but not the dtypes it forces.
// `cuda_sm` is the GPU's (Hardware::cuda_sm, from --hw) for hardware-dependent defaults.
MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides = {},
                           std::optional<std::uint64_t> cuda_sm = std::nullopt);
// The same on one of run.tp ranks (engine_layers' sharding), with speculative decoding; at tp > 1
// the rows carry no full-attention baseline (it is the whole model's).
MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides,
                           const EngineRun& run);
// The paper minimum on one of `tp` ranks: each layer's cache split over its heads as
// engine_layers splits it (KV heads, replicated when fewer than the ranks; an MLA latent on
// every rank; recurrent state by value head), with one-token pages and one state slot.
MemoryReport paper_memory_per_rank(const Architecture& architecture,
                                   const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                                   const CacheDTypeOverrides& overrides, std::uint64_t tp);

}  // namespace attnsim
