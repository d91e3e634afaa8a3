// Family mappers: each turns one kind of config.json (by model_type) into an ArchitectureDraft,
// plus the helpers they share (dimensions, dtypes, attention and FFN instances).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "import/draft.h"
#include "import/hf_config.h"

namespace attnsim::import {

using FamilyMapper = void (*)(const HfConfig& config, ArchitectureDraft& draft);

struct Family {
  std::string_view model_type;
  std::string_view family;  // display family
  FamilyMapper map;
};

// Every supported model_type, in one table (families.cpp).
const std::vector<Family>& families();

// --- shared helpers (families_common.cpp) ---
// The layer count under `key`, within the architecture schema's bound (graph/architecture.h).
std::uint64_t layer_count(const HfConfig& config, std::string_view key);
// d_model, vocab, n_layers, tied embeddings, max context and the weight/KV dtype.
void read_common(const HfConfig& config, ArchitectureDraft& draft);
// The multi-token prediction modules counted by `key`, if any. Their block is the last layer's
// mixer and FFN (DeepSeek-V3, GLM-4.5 and Qwen3.5 all build it so); call after the layers.
void read_mtp(const HfConfig& config, ArchitectureDraft& draft, std::string_view key);
// Field from a config key, with the key as comment.
Field field(std::string key, std::uint64_t value, std::string comment = {});
Field text_field(std::string key, std::string value, std::string comment = {});
// softmax_attn (or `kind`) from num_attention_heads, num_key_value_heads and head_dim (or
// hidden_size / heads), optionally windowed or without RoPE.
Instance attention_instance(const HfConfig& config, std::string name,
                            std::string kind = "softmax_attn");
// swiglu/geglu for gated MLPs, gelu/relu2 for plain ones, from an HF activation name.
std::string activation_for(const std::string& hf_activation, bool gated);
Instance dense_ffn(std::string name, std::string activation, std::uint64_t width,
                   std::string comment);
Instance moe_ffn(std::string name, std::string activation, std::uint64_t experts,
                 std::uint64_t top_k, std::uint64_t width, std::uint64_t shared_experts,
                 std::uint64_t shared_width);
// Canonical dtype name for an HF dtype string ("bfloat16" → "bf16").
std::string dtype_name_for(const std::string& hf_dtype);

// --- layer types (families_windows.cpp) ---
// `layer_types` (or another per-layer list, `key`) as written, checked as transformers'
// layer_type_validation does (one entry per layer, each one of `allowed`); none when absent.
std::optional<std::vector<std::string>> read_layer_types(
    const HfConfig& config, std::uint64_t n_layers, const std::vector<std::string_view>& allowed,
    std::string_view key = "layer_types");
// The sliding layers of a softmax-attention family and their window, as its config class
// derives them (by text model_type); `nope` marks NoPE layers (SmolLM3).
struct SlidingLayout {
  std::optional<std::uint64_t> window;
  std::vector<bool> sliding;  // per layer
  std::vector<std::string> notes;
};
SlidingLayout sliding_layout(const HfConfig& config, std::uint64_t n_layers,
                             const std::vector<bool>& nope);
// SmolLM3's NoPE layers: no_rope_layers[i] == 0, or every no_rope_layer_interval-th layer.
std::vector<bool> smollm3_nope_layers(const HfConfig& config, std::uint64_t n_layers);

// --- families (one function each) ---
void map_llama_like(const HfConfig& config, ArchitectureDraft& draft);
void map_gemma3(const HfConfig& config, ArchitectureDraft& draft);
void map_gpt2(const HfConfig& config, ArchitectureDraft& draft);
void map_gpt_oss(const HfConfig& config, ArchitectureDraft& draft);
void map_mimo_v2(const HfConfig& config, ArchitectureDraft& draft);
void map_llama4(const HfConfig& config, ArchitectureDraft& draft);
void map_deepseek(const HfConfig& config, ArchitectureDraft& draft);
void map_kimi_linear(const HfConfig& config, ArchitectureDraft& draft);
void map_qwen3_next(const HfConfig& config, ArchitectureDraft& draft);
void map_nemotron_h(const HfConfig& config, ArchitectureDraft& draft);
void map_bamba(const HfConfig& config, ArchitectureDraft& draft);
void map_granite_moe_hybrid(const HfConfig& config, ArchitectureDraft& draft);
void map_bailing_linear(const HfConfig& config, ArchitectureDraft& draft);
void map_minimax(const HfConfig& config, ArchitectureDraft& draft);
void map_deepseek_v4(const HfConfig& config, ArchitectureDraft& draft);
void map_lfm2(const HfConfig& config, ArchitectureDraft& draft);
void map_phi4flash(const HfConfig& config, ArchitectureDraft& draft);
void map_recurrent_gemma(const HfConfig& config, ArchitectureDraft& draft);

}  // namespace attnsim::import
