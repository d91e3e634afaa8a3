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
};

struct EngineProfile {
  std::string name;  // the file stem and --engine value, e.g. "vllm"
  std::string display_name;
  std::string describes;  // the engine version (and commits) the rules were read from
  std::vector<std::string> sources;
  std::vector<std::string> not_modelled;  // rules looked for and not confirmed, or left out

  // Cache dtypes the engine uses unless the command line names one (--kv-dtype, ...).
  CacheDTypeOverrides default_dtypes;
  // Dtypes the engine forces in layers of a mixer kind, whatever the model or command line says.
  std::map<std::string, CacheDTypeOverrides> forced_dtypes_by_kind;
  // Tokens per page: a sequence's growing terms occupy whole pages (1 = no rounding).
  std::uint64_t block_tokens = 1;
  std::map<std::string, std::uint64_t> block_tokens_by_kind;
  // true: sliding-window and chunked layers are charged for every token of context.
  bool sliding_window_in_full = false;
  // Model families (Architecture::family) whose sliding layers the engine charges in full even
  // though it keeps windows for other models (SGLang turns its SWA pool off for Gemma 2/3).
  std::vector<std::string> sliding_window_full_for_families;
  // vLLM hybrid models: the page is raised to a multiple of this many tokens until one attention
  // page holds one layer's recurrent state, and the state page is padded up to it.
  std::optional<std::uint64_t> hybrid_page_align_tokens;
  std::optional<LatentRecordRule> latent_record;
  // Mixer kinds whose MLA latent (Dc = elements − rope elements) the engine stores a second time,
  // as the V of a separate V cache (llama.cpp's deepseek2 graph before PR #19067).
  std::vector<std::string> separate_v_latent_kinds;
  // Recurrent-state slots the engine reserves per running sequence.
  std::uint64_t state_slots_per_sequence = 1;
};

std::vector<std::filesystem::path> list_engine_files();
std::vector<std::string> engine_names();  // file stems of configs/engines/*.yaml
// A profile name ("vllm") from configs/engines/, or a path to a YAML file.
EngineProfile load_engine_profile(const std::string& name_or_path);

// What `engine` allocates for `architecture` at each context and batch, in the shape of the paper
// report (the full-attention baseline stays the paper minimum's). `overrides` are the command
// line's dtypes; they replace the profile's defaults but not the dtypes it forces.
MemoryReport engine_memory(const Architecture& architecture,
                           const std::vector<std::uint64_t>& contexts, std::uint64_t batch,
                           const EngineProfile& engine, const CacheDTypeOverrides& overrides = {});

}  // namespace attnsim
