// The defaults table. Each entry is the value the transformers config class assigns when the
// key is absent from config.json, with the class and file that define it.
#include "import/library_defaults.h"

#include <array>

namespace attnsim::import {

namespace {
constexpr std::string_view kGemma3 =
    "Gemma3TextConfig default (transformers src/transformers/models/gemma3/"
    "configuration_gemma3.py @008f5c8c)";
constexpr std::string_view kPretrained =
    "PretrainedConfig default tie_word_embeddings=True (transformers configuration_utils.py)";
constexpr std::string_view kLlama =
    "LlamaConfig default (transformers models/llama/configuration_llama.py)";
constexpr std::string_view kQwen3 =
    "Qwen3Config default (transformers models/qwen3/configuration_qwen3.py)";
constexpr std::string_view kMistral =
    "MistralConfig default (transformers models/mistral/configuration_mistral.py)";
constexpr std::string_view kQwen2 =
    "Qwen2Config default (transformers models/qwen2/configuration_qwen2.py @008e5743)";
constexpr std::string_view kQwen3At =
    "Qwen3Config default (transformers models/qwen3/configuration_qwen3.py @008e5743)";
constexpr std::string_view kQwen3Moe =
    "Qwen3MoeConfig default (transformers models/qwen3_moe/configuration_qwen3_moe.py @008e5743)";
constexpr std::string_view kMistralAt =
    "MistralConfig default (transformers models/mistral/configuration_mistral.py @001f85b3)";
constexpr std::string_view kSmolLM3 =
    "SmolLM3Config default (transformers models/smollm3/configuration_smollm3.py @008e5743)";
constexpr std::string_view kGptOss =
    "GptOssConfig default (transformers models/gpt_oss/configuration_gpt_oss.py @02b8f42b)";
constexpr std::string_view kGlmMoeDsa =
    "GlmMoeDsaConfig default (transformers models/glm_moe_dsa/configuration_glm_moe_dsa.py "
    "@008e5743)";
constexpr std::string_view kNemotronH =
    "NemotronHConfig default (transformers models/nemotron_h/configuration_nemotron_h.py)";
constexpr std::string_view kLfm2 =
    "Lfm2Config default (transformers models/lfm2/configuration_lfm2.py)";
constexpr std::string_view kRecurrentGemma =
    "RecurrentGemmaConfig default (transformers models/recurrent_gemma/"
    "configuration_recurrent_gemma.py)";

constexpr std::string_view kQwen3Next =
    "Qwen3NextConfig.__post_init__ default (transformers models/qwen3_next/"
    "configuration_qwen3_next.py @008e5743)";
constexpr std::string_view kLlama4 =
    "Llama4TextConfig default (transformers models/llama4/configuration_llama4.py @008e5743)";
// Remote code, not in transformers: microsoft/Phi-4-mini-flash-reasoning's own config class.
constexpr std::string_view kPhi4Flash =
    "Phi4FlashConfig default (configuration_phi4flash.py of microsoft/Phi-4-mini-flash-reasoning, "
    "read at franciskamande-ai/cloned_models @711ebe7d)";
constexpr std::string_view kBamba =
    "BambaConfig default (transformers models/bamba/configuration_bamba.py @001f85b3)";
constexpr std::string_view kGraniteMoeHybrid =
    "GraniteMoeHybridConfig default (transformers models/granitemoehybrid/"
    "configuration_granitemoehybrid.py @4f7e1d46)";
constexpr std::string_view kKimiLinear =
    "KimiLinearConfig default (transformers models/kimi_linear/configuration_kimi_linear.py "
    "@630ebd85)";
constexpr std::string_view kMiniMax =
    "MiniMaxConfig default (transformers models/minimax/configuration_minimax.py @008e5743)";
constexpr std::string_view kMiniMaxM1 =
    "MiniMaxM1Config default (MiniMax-AI/MiniMax-M1 configuration_minimax_m1.py @4917af1b, the "
    "checkpoint's remote code)";
constexpr std::string_view kGlm4Moe =
    "Glm4MoeConfig default (transformers models/glm4_moe/configuration_glm4_moe.py @008e5743)";
constexpr std::array kDefaults = {
    LibraryDefault{"kimi_linear", "vocab_size", "163840", kKimiLinear},
    LibraryDefault{"kimi_linear", "hidden_size", "2304", kKimiLinear},
    LibraryDefault{"kimi_linear", "intermediate_size", "9216", kKimiLinear},
    LibraryDefault{"kimi_linear", "moe_intermediate_size", "1024", kKimiLinear},
    LibraryDefault{"kimi_linear", "num_hidden_layers", "27", kKimiLinear},
    LibraryDefault{"kimi_linear", "num_attention_heads", "32", kKimiLinear},
    LibraryDefault{"kimi_linear", "n_shared_experts", "1", kKimiLinear},
    LibraryDefault{"kimi_linear", "n_routed_experts", "256", kKimiLinear},
    LibraryDefault{"kimi_linear", "kv_lora_rank", "512", kKimiLinear},
    LibraryDefault{"kimi_linear", "qk_rope_head_dim", "64", kKimiLinear},
    LibraryDefault{"kimi_linear", "v_head_dim", "128", kKimiLinear},
    LibraryDefault{"kimi_linear", "qk_nope_head_dim", "128", kKimiLinear},
    LibraryDefault{"kimi_linear", "num_experts_per_tok", "8", kKimiLinear},
    LibraryDefault{"kimi_linear", "hidden_act", "silu", kKimiLinear},
    LibraryDefault{"kimi_linear", "max_position_embeddings", "1048576", kKimiLinear},
    LibraryDefault{"kimi_linear", "tie_word_embeddings", "false", kKimiLinear},
    LibraryDefault{"kimi_linear", "linear_head_dim", "128", kKimiLinear},
    LibraryDefault{"kimi_linear", "linear_num_heads", "32", kKimiLinear},
    LibraryDefault{"kimi_linear", "linear_conv_kernel_dim", "4", kKimiLinear},
    // __post_init__ reads first_k_dense_replace from kwargs with 1 as its fallback.
    LibraryDefault{"kimi_linear", "first_k_dense_replace", "1", kKimiLinear},
    LibraryDefault{"minimax", "vocab_size", "32000", kMiniMax},
    LibraryDefault{"minimax", "hidden_size", "4096", kMiniMax},
    LibraryDefault{"minimax", "intermediate_size", "14336", kMiniMax},
    LibraryDefault{"minimax", "num_hidden_layers", "32", kMiniMax},
    LibraryDefault{"minimax", "num_attention_heads", "32", kMiniMax},
    LibraryDefault{"minimax", "num_key_value_heads", "8", kMiniMax},
    LibraryDefault{"minimax", "hidden_act", "silu", kMiniMax},
    LibraryDefault{"minimax", "max_position_embeddings", "131072", kMiniMax},
    LibraryDefault{"minimax", "tie_word_embeddings", "false", kMiniMax},
    LibraryDefault{"minimax", "num_experts_per_tok", "2", kMiniMax},
    LibraryDefault{"minimax", "num_local_experts", "8", kMiniMax},
    LibraryDefault{"minimax_m1", "vocab_size", "32000", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "hidden_size", "4096", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "intermediate_size", "14336", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "num_hidden_layers", "32", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "num_attention_heads", "32", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "num_key_value_heads", "8", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "hidden_act", "silu", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "max_position_embeddings", "131072", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "tie_word_embeddings", "false", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "num_experts_per_tok", "2", kMiniMaxM1},
    LibraryDefault{"minimax_m1", "num_local_experts", "8", kMiniMaxM1},
    LibraryDefault{"glm4_moe", "vocab_size", "151552", kGlm4Moe},
    LibraryDefault{"glm4_moe", "hidden_size", "4096", kGlm4Moe},
    LibraryDefault{"glm4_moe", "intermediate_size", "10944", kGlm4Moe},
    LibraryDefault{"glm4_moe", "num_hidden_layers", "46", kGlm4Moe},
    LibraryDefault{"glm4_moe", "num_attention_heads", "96", kGlm4Moe},
    LibraryDefault{"glm4_moe", "num_key_value_heads", "8", kGlm4Moe},
    LibraryDefault{"glm4_moe", "hidden_act", "silu", kGlm4Moe},
    LibraryDefault{"glm4_moe", "max_position_embeddings", "131072", kGlm4Moe},
    LibraryDefault{"glm4_moe", "tie_word_embeddings", "false", kGlm4Moe},
    LibraryDefault{"glm4_moe", "moe_intermediate_size", "1408", kGlm4Moe},
    LibraryDefault{"glm4_moe", "num_experts_per_tok", "8", kGlm4Moe},
    LibraryDefault{"glm4_moe", "n_shared_experts", "1", kGlm4Moe},
    LibraryDefault{"glm4_moe", "n_routed_experts", "128", kGlm4Moe},
    LibraryDefault{"glm4_moe", "first_k_dense_replace", "1", kGlm4Moe},
    LibraryDefault{"glm4_moe", "use_qk_norm", "false", kGlm4Moe},
    LibraryDefault{"glm4_moe", "attention_bias", "false", kGlm4Moe},
    // num_mtp_layers (attribute_map: num_nextn_predict_layers) defaults to 1.
    LibraryDefault{"glm4_moe", "num_nextn_predict_layers", "1", kGlm4Moe},
    LibraryDefault{"bamba", "vocab_size", "128000", kBamba},
    LibraryDefault{"bamba", "tie_word_embeddings", "false", kBamba},
    LibraryDefault{"bamba", "hidden_size", "4096", kBamba},
    LibraryDefault{"bamba", "intermediate_size", "14336", kBamba},
    LibraryDefault{"bamba", "num_hidden_layers", "32", kBamba},
    LibraryDefault{"bamba", "num_attention_heads", "32", kBamba},
    LibraryDefault{"bamba", "num_key_value_heads", "8", kBamba},
    LibraryDefault{"bamba", "max_position_embeddings", "262144", kBamba},
    LibraryDefault{"bamba", "mamba_n_heads", "128", kBamba},
    LibraryDefault{"bamba", "mamba_n_groups", "1", kBamba},
    LibraryDefault{"bamba", "mamba_d_state", "256", kBamba},
    LibraryDefault{"bamba", "mamba_d_conv", "4", kBamba},
    LibraryDefault{"bamba", "mamba_expand", "2", kBamba},
    LibraryDefault{"granitemoehybrid", "vocab_size", "32000", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "hidden_size", "4096", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "intermediate_size", "11008", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "num_hidden_layers", "32", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "num_attention_heads", "32", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "hidden_act", "silu", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "max_position_embeddings", "2048", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "tie_word_embeddings", "false", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "num_local_experts", "8", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "num_experts_per_tok", "2", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "shared_intermediate_size", "1024", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "mamba_n_heads", "128", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "mamba_n_groups", "1", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "mamba_d_state", "256", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "mamba_d_conv", "4", kGraniteMoeHybrid},
    LibraryDefault{"granitemoehybrid", "mamba_expand", "2", kGraniteMoeHybrid},
    LibraryDefault{"qwen3_next", "full_attention_interval", "4", kQwen3Next},
    LibraryDefault{"llama4_text", "no_rope_layer_interval", "4", kLlama4},
    LibraryDefault{"llama4_text", "interleave_moe_layer_step", "1", kLlama4},
    LibraryDefault{"llama4", "no_rope_layer_interval", "4", kLlama4},
    LibraryDefault{"llama4", "interleave_moe_layer_step", "1", kLlama4},
    LibraryDefault{"gemma3_text", "vocab_size", "262208", kGemma3},
    LibraryDefault{"gemma3_text", "hidden_size", "2304", kGemma3},
    LibraryDefault{"gemma3_text", "intermediate_size", "9216", kGemma3},
    LibraryDefault{"gemma3_text", "num_hidden_layers", "26", kGemma3},
    LibraryDefault{"gemma3_text", "num_attention_heads", "8", kGemma3},
    LibraryDefault{"gemma3_text", "num_key_value_heads", "4", kGemma3},
    LibraryDefault{"gemma3_text", "head_dim", "256", kGemma3},
    LibraryDefault{"gemma3_text", "hidden_activation", "gelu_pytorch_tanh", kGemma3},
    LibraryDefault{"gemma3_text", "max_position_embeddings", "131072", kGemma3},
    LibraryDefault{"gemma3_text", "tie_word_embeddings", "true", kGemma3},
    LibraryDefault{"gemma3_text", "sliding_window", "4096", kGemma3},
    LibraryDefault{"gemma3_text", "sliding_window_pattern", "6", kGemma3},
    LibraryDefault{"qwen2", "use_sliding_window", "false", kQwen2},
    LibraryDefault{"qwen2", "sliding_window", "4096", kQwen2},
    LibraryDefault{"qwen2", "max_window_layers", "28", kQwen2},
    LibraryDefault{"qwen2", "tie_word_embeddings", "false", kQwen2},
    LibraryDefault{"qwen3", "use_sliding_window", "false", kQwen3At},
    LibraryDefault{"qwen3", "sliding_window", "4096", kQwen3At},
    LibraryDefault{"qwen3", "max_window_layers", "28", kQwen3At},
    LibraryDefault{"qwen3_moe", "use_sliding_window", "false", kQwen3Moe},
    LibraryDefault{"qwen3_moe", "sliding_window", "4096", kQwen3Moe},
    LibraryDefault{"qwen3_moe", "tie_word_embeddings", "false", kQwen3Moe},
    LibraryDefault{"mistral", "sliding_window", "4096", kMistralAt},
    LibraryDefault{"smollm3", "use_sliding_window", "false", kSmolLM3},
    LibraryDefault{"smollm3", "no_rope_layer_interval", "4", kSmolLM3},
    LibraryDefault{"smollm3", "tie_word_embeddings", "true", kSmolLM3},
    LibraryDefault{"gpt_oss", "sliding_window", "128", kGptOss},
    LibraryDefault{"gpt_oss", "tie_word_embeddings", "false", kGptOss},
    LibraryDefault{"glm_moe_dsa", "first_k_dense_replace", "3", kGlmMoeDsa},
    LibraryDefault{"glm_moe_dsa", "tie_word_embeddings", "false", kGlmMoeDsa},
    LibraryDefault{"gpt2", "tie_word_embeddings", "true", kPretrained},
    LibraryDefault{"llama", "tie_word_embeddings", "false", kLlama},
    LibraryDefault{"qwen3", "tie_word_embeddings", "false", kQwen3},
    LibraryDefault{"mistral", "tie_word_embeddings", "false", kMistral},
    LibraryDefault{"nemotron_h", "tie_word_embeddings", "false", kNemotronH},
    LibraryDefault{"lfm2", "tie_word_embeddings", "true", kLfm2},
    LibraryDefault{"recurrent_gemma", "tie_word_embeddings", "true", kRecurrentGemma},
    LibraryDefault{"phi4flash", "mamba_d_state", "16", kPhi4Flash},
    LibraryDefault{"phi4flash", "mamba_d_conv", "4", kPhi4Flash},
    LibraryDefault{"phi4flash", "mamba_expand", "2", kPhi4Flash},
    LibraryDefault{"phi4flash", "mb_per_layer", "2", kPhi4Flash},
    LibraryDefault{"phi4flash", "sliding_window", "2047", kPhi4Flash},
    LibraryDefault{"phi4flash", "tie_word_embeddings", "true", kPhi4Flash},
};
}  // namespace

std::optional<LibraryDefault> library_default(std::string_view model_type, std::string_view key) {
  for (const auto& entry : kDefaults)
    if (entry.model_type == model_type && entry.key == key) return entry;
  return std::nullopt;
}

}  // namespace attnsim::import
