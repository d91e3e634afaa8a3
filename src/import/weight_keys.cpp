// Weight keys (parameter counts only) carried from a config: biases, q/k norms, sinks, block
// post-norms, router biases, shared-expert gates, learned positions and the norm kind. One pass
// over the draft a family mapper built, so that the shapes stay in the mappers. Which module has
// which tensor follows transformers 5.17's modeling files (models/<type>/modeling_<type>.py).
#include "import/weight_keys.h"

#include <algorithm>

namespace attnsim::import {

namespace {
bool is(const HfConfig& config, std::initializer_list<std::string_view> types) {
  return std::find(types.begin(), types.end(), config.model_type()) != types.end();
}

const std::string& kind_of(const Instance& instance) { return instance.fields.front().value; }

void add(Instance& instance, std::string key, std::string value, std::string comment) {
  instance.fields.push_back({std::move(key), std::move(value), std::move(comment)});
}

void attention_keys(const HfConfig& config, Instance& attention) {
  const bool bias = config.optional_boolean("attention_bias").value_or(false);
  // LlamaAttention, Qwen3Attention, GptOssAttention: attention_bias on q, k, v and o;
  // Glm4MoeAttention: on q, k, v only.
  if (bias) add(attention, "qkv_bias", "true", "attention_bias");
  if (bias && !is(config, {"glm4_moe"})) add(attention, "o_bias", "true", "attention_bias");
  if (is(config, {"gpt2"})) {
    add(attention, "qkv_bias", "true", "GPT-2 c_attn bias");
    add(attention, "o_bias", "true", "GPT-2 c_proj bias");
  }
  // q_norm/k_norm over head_dim (Qwen3, Gemma 3, GLM-4.5 with use_qk_norm) or over all heads
  // (MiniMax-M2 qk_norm_type per_layer).
  if (is(config, {"qwen3", "qwen3_moe", "gemma3", "gemma3_text"}) ||
      (is(config, {"glm4_moe"}) && config.optional_boolean("use_qk_norm").value_or(false)))
    add(attention, "qk_norm", "head", "q_norm/k_norm over head_dim");
  if (is(config, {"minimax_m2"}) && config.optional_boolean("use_qk_norm").value_or(false))
    add(attention, "qk_norm",
        config.optional_text("qk_norm_type").value_or("per_layer") == "per_layer" ? "full" : "head",
        "use_qk_norm, qk_norm_type");
  if (is(config, {"gpt_oss"})) add(attention, "sinks", "true", "GptOssAttention sinks");
  if (is(config, {"mimo_v2_flash"})) {
    const std::string key =
        attention.name == "local" ? "add_swa_attention_sink_bias" : "add_full_attention_sink_bias";
    if (config.optional_boolean(key).value_or(false)) add(attention, "sinks", "true", key);
  }
  if (is(config, {"gemma3", "gemma3_text"}))
    add(attention, "post_norm", "true", "post_attention_layernorm");
}

void ffn_keys(const HfConfig& config, Instance& ffn) {
  const bool moe = kind_of(ffn) == "moe";
  if (is(config, {"gpt2", "gpt_oss"}) || config.optional_boolean("mlp_bias").value_or(false))
    add(ffn, "bias", "true", is(config, {"gpt2", "gpt_oss"}) ? "MLP/expert biases" : "mlp_bias");
  if (is(config, {"gemma3", "gemma3_text"}))
    add(ffn, "post_norm", "true", "post_feedforward_layernorm");
  if (!moe) return;
  if (is(config, {"gpt_oss"})) add(ffn, "router_bias", "true", "router Linear with bias");
  // Aux-loss-free selection biases, stored by checkpoints but not parameters: DeepSeek-V3's and
  // GLM/Kimi's e_score_correction_bias; NemotronHTopkRouter registers one as a buffer on every MoE
  // (transformers models/nemotron_h/modeling_nemotron_h.py at 008d9e95); the Ling/Ring gate's
  // expert_bias when moe_router_enable_expert_bias (SGLang models/bailing_moe.py, BailingMoEGate).
  const bool score_bias =
      config.optional_text("topk_method").value_or("") == "noaux_tc" ||
      is(config, {"glm4_moe", "kimi_linear", "nemotron_h"}) ||
      (is(config, {"minimax_m2"}) && config.optional_boolean("use_routing_bias").value_or(false)) ||
      (is(config, {"bailing_moe_linear", "bailing_moe_v2", "bailing_hybrid"}) &&
       config.optional_boolean("moe_router_enable_expert_bias").value_or(false));
  if (score_bias) add(ffn, "router_score_bias", "true", "e_score_correction_bias");
  const bool has_shared = std::any_of(ffn.fields.begin(), ffn.fields.end(),
                                      [](const Field& f) { return f.key == "n_shared_experts"; });
  if (has_shared && is(config, {"qwen3_next", "qwen3_5_moe", "qwen2_moe"}))
    add(ffn, "shared_expert_gate", "true", "shared_expert_gate Linear(D, 1)");
}
}  // namespace

void add_weight_keys(const HfConfig& config, ArchitectureDraft& draft) {
  for (Instance& mixer : draft.mixers) {
    const std::string& kind = kind_of(mixer);
    if (kind == "softmax_attn" || kind == "gated_attn") attention_keys(config, mixer);
  }
  for (Instance& ffn : draft.ffns) ffn_keys(config, ffn);
  if (is(config, {"gpt2"})) {
    draft.learned_positions = config.positive("n_positions");
    draft.norm = "layernorm";
  }
}

}  // namespace attnsim::import
