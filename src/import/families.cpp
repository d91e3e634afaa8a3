// The model_type → mapper table: adding a family adds one line here and its mapper.
#include "import/families.h"

namespace attnsim::import {

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"llama", "Llama", &map_llama_like},
      {"mistral", "Mistral", &map_llama_like},
      {"mistral3", "Mistral", &map_llama_like},
      {"qwen2", "Qwen2", &map_llama_like},
      {"qwen3", "Qwen3", &map_llama_like},
      {"qwen3_moe", "Qwen3", &map_llama_like},
      {"smollm3", "SmolLM3", &map_llama_like},
      {"minimax", "MiniMax-01", &map_minimax},
      {"minimax_m1", "MiniMax-M1", &map_minimax},
      {"minimax_m2", "MiniMax-M2", &map_llama_like},
      {"glm4_moe", "GLM-4.5", &map_llama_like},
      {"sarvam_moe", "Sarvam", &map_llama_like},
      {"sarvam_mla", "Sarvam", &map_deepseek},
      {"gemma3", "Gemma 3", &map_gemma3},
      {"gemma3_text", "Gemma 3", &map_gemma3},
      {"gpt2", "GPT-2", &map_gpt2},
      {"gpt_oss", "GPT-OSS", &map_gpt_oss},
      {"mimo_v2_flash", "MiMo-V2", &map_mimo_v2},
      {"llama4", "Llama 4", &map_llama4},
      {"deepseek_v3", "DeepSeek-V3", &map_deepseek},
      {"kimi_k2", "Kimi K2", &map_deepseek},
      {"deepseek_v32", "DeepSeek-V3", &map_deepseek},
      {"deepseek_v4", "DeepSeek-V4", &map_deepseek_v4},
      {"glm_moe_dsa", "GLM-5", &map_deepseek},
      {"kimi_linear", "Kimi Linear", &map_kimi_linear},
      {"qwen3_next", "Qwen3-Next", &map_qwen3_next},
      {"qwen3_5", "Qwen3.5", &map_qwen3_next},
      {"qwen3_5_moe", "Qwen3.5", &map_qwen3_next},
      {"nemotron_h", "Nemotron-H", &map_nemotron_h},
      {"bamba", "Bamba", &map_bamba},
      {"granitemoehybrid", "Granite 4.0", &map_granite_moe_hybrid},
      {"bailing_moe_linear", "Ling 2.0", &map_bailing_linear},
      {"lfm2", "LFM2", &map_lfm2},
      {"phi4flash", "Phi-4 (SambaY)", &map_phi4flash},
      {"recurrent_gemma", "RecurrentGemma", &map_recurrent_gemma},
  };
  return table;
}

}  // namespace attnsim::import
