// Family mapper of SambaY (Phi-4-mini-flash-reasoning, model_type phi4flash), as its remote code
// builds the layers: configuration_phi4flash.py (Phi4FlashConfig) and modeling_phi4flash.py
// (SambaYDecoderLayer, SambaYAttention, Phi3Mamba, SambaYCache) of microsoft/Phi-4-mini-flash-
// reasoning, read at franciskamande-ai/cloned_models @711ebe7d74126666d14c391aac7625115438411e.
#include <fmt/format.h>

#include "core/error.h"
#include "import/families.h"

namespace attnsim::import {

namespace {
// num_attention_heads / num_key_value_heads pair up into differential heads and kv pairs.
std::uint64_t half_of(const HfConfig& config, std::string_view key) {
  const std::uint64_t heads = config.positive(key);
  if (heads % 2 != 0)
    throw UserError(config.where(key), std::string(key),
                    "an even head count (differential attention pairs heads)",
                    std::to_string(heads));
  return heads / 2;
}

Instance diff_attention(const HfConfig& config, std::string name,
                        std::optional<std::uint64_t> window) {
  const std::uint64_t heads = config.positive("num_attention_heads");
  const std::uint64_t d_model = config.positive("hidden_size");
  Instance instance{
      std::move(name),
      {text_field("kind", "diff_attn"),
       field("n_heads", half_of(config, "num_attention_heads"), "num_attention_heads / 2"),
       field("n_kv_heads", half_of(config, "num_key_value_heads"), "num_key_value_heads / 2"),
       field("head_dim", d_model / heads, "hidden_size / num_attention_heads")}};
  if (window) instance.fields.push_back(field("window", *window, "sliding_window"));
  // SambaYAttention: Wqkv and out_proj are nn.Linear(..., bias=True).
  instance.fields.push_back(text_field("qkv_bias", "true", "SambaYAttention Wqkv bias=True"));
  instance.fields.push_back(text_field("o_bias", "true", "SambaYAttention out_proj bias=True"));
  return instance;
}
}  // namespace

// SambaYDecoderLayer with n = num_hidden_layers (a multiple of 4): layer i is Mamba when
// mb_per_layer > 0 and i % mb_per_layer == 0, else differential attention. Below n/2 (the
// self-decoder) attention on odd layers has the sliding window (Phi4FlashConfig.sliding_window
// list). Layers n/2 and n/2 + 1 are the last of the self-decoder: a Mamba layer there exports its
// SSM output as the GMU memory, attention there is global and its KV is the shared YOCO cache
// (SambaYCache.global_attn_idx = n/2 + 1). From n/2 + 2 on (the cross-decoder) Mamba slots are
// gated memory units and attention slots read layer n/2 + 1's KV with a q-only Wqkv.
void map_phi4flash(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.norm = "layernorm";  // PHI_NORM_CLASS = nn.LayerNorm
  draft.notes.push_back(
      "LayerNorm (weight and bias) in every block and at the end: "
      "modeling_phi4flash.py PHI_NORM_CLASS = nn.LayerNorm");
  draft.recurrent_state_dtype = draft.weights_dtype;
  draft.conv_state_dtype = draft.weights_dtype;
  const std::uint64_t n = draft.n_layers;
  if (n % 4 != 0)
    throw UserError(config.where("num_hidden_layers"), "num_hidden_layers",
                    "a multiple of 4 (SambaYDecoderLayer: 'n_layer should be divisible by 4')",
                    std::to_string(n));
  const std::uint64_t per = config.count("mb_per_layer");
  const std::uint64_t d_inner = config.positive("mamba_expand") * draft.d_model;
  const std::uint64_t reader_owner = n / 2 + 1;
  auto mamba_at = [per](std::uint64_t i) { return per > 0 && i % per == 0; };
  if (mamba_at(reader_owner))
    throw UserError(
        config.where("mb_per_layer"), "mb_per_layer",
        fmt::format("an attention layer at n/2 + 1 = {} (the YOCO KV owner)", reader_owner),
        std::to_string(per));
  draft.mixers.push_back(
      {"mamba",
       {text_field("kind", "mamba1"), field("d_inner", d_inner, "mamba_expand · hidden_size"),
        field("state_size", config.positive("mamba_d_state"), "mamba_d_state"),
        field("conv_kernel", config.positive("mamba_d_conv"), "mamba_d_conv")}});
  draft.mixers.push_back(diff_attention(config, "swa", config.positive("sliding_window")));
  draft.mixers.push_back(diff_attention(config, "global", std::nullopt));
  draft.mixers.push_back(
      {"gmu",
       {text_field("kind", "gmu"), field("d_inner", d_inner, "mamba_expand · hidden_size")}});
  draft.baseline_attention = "global";
  std::vector<std::uint64_t> readers;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i >= n / 2 + 2) {
      draft.layer_mixers.push_back(mamba_at(i) ? "gmu" : "global");
      if (!mamba_at(i)) readers.push_back(i);
    } else if (mamba_at(i)) {
      draft.layer_mixers.push_back("mamba");
    } else {
      draft.layer_mixers.push_back(i < n / 2 && i % 2 == 1 ? "swa" : "global");
    }
  }
  if (!readers.empty()) draft.kv_shared.push_back({readers, reader_owner});
  draft.notes.push_back(fmt::format(
      "YOCO: the cross-decoder's attention layers read layer {}'s KV cache (SambaYCache "
      "global_attn_idx = n/2 + 1) and have a q-only Wqkv; the GMUs gate layer {}'s SSM output",
      reader_owner, n / 2));
  draft.ffns.push_back(dense_ffn("mlp", "swiglu", config.positive("intermediate_size"),
                                 "intermediate_size (SambaYMLP fc1 2× wide, fc2)"));
  draft.layer_ffns.assign(n, "mlp");
}

}  // namespace attnsim::import
