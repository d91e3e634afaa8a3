// Family mappers of the recurrent hybrids of mixers-spec-recurrent: LFM2 (short conv + GQA) and
// RecurrentGemma (RG-LRU recurrent blocks + local MQA).
#include <fmt/format.h>

#include "core/error.h"
#include "import/families.h"

namespace attnsim::import {

namespace {
// transformers Lfm2MLP: with block_auto_adjust_ff_dim (default true) the width shrinks to 2/3,
// is multiplied by block_ffn_dim_multiplier (default 1.0) and rounded up to block_multiple_of
// (default 256); the base is block_ff_dim when given (Lfm2Config reads it over
// intermediate_size), else intermediate_size.
std::uint64_t lfm2_ffn_width(const HfConfig& config, ArchitectureDraft& draft) {
  const bool from_block = config.has("block_ff_dim");
  std::uint64_t width = config.positive(from_block ? "block_ff_dim" : "intermediate_size");
  if (!config.optional_boolean("block_auto_adjust_ff_dim").value_or(true)) return width;
  width = 2 * width / 3;
  if (const auto multiplier = config.optional_number("block_ffn_dim_multiplier"))
    width = static_cast<std::uint64_t>(*multiplier * static_cast<double>(width));
  const std::uint64_t multiple = config.optional_count("block_multiple_of").value_or(256);
  if (multiple == 0)
    throw UserError({config.file(), 0, 0}, "block_multiple_of", "a positive integer", "0");
  width = multiple * ((width + multiple - 1) / multiple);
  draft.notes.push_back(fmt::format(
      "FFN width {}: Lfm2MLP shrinks {} to 2/3, times block_ffn_dim_multiplier, rounded up to "
      "block_multiple_of {}",
      width, from_block ? "block_ff_dim" : "intermediate_size", multiple));
  return width;
}
}  // namespace

void map_lfm2(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  if (const auto tied = config.optional_boolean("tie_embedding")) draft.tied_embeddings = *tied;
  draft.conv_state_dtype = draft.weights_dtype;
  Instance conv{
      "conv",
      {text_field("kind", "short_conv"),
       field("channels", config.optional_count("conv_dim").value_or(draft.d_model),
             config.has("conv_dim") ? "conv_dim" : "hidden_size"),
       field("conv_kernel", config.optional_count("conv_L_cache").value_or(3), "conv_L_cache")}};
  if (config.optional_boolean("conv_bias").value_or(false))
    conv.fields.push_back(text_field("bias", "true", "conv_bias"));
  draft.mixers.push_back(conv);
  Instance attention = attention_instance(config, "attn");
  attention.fields.push_back(
      text_field("qk_norm", "head", "Lfm2Attention q_layernorm/k_layernorm over head_dim"));
  draft.mixers.push_back(attention);
  // layer_types ("conv" / "full_attention"), else the attention indices full_attn_idxs.
  if (const auto types = read_layer_types(config, draft.n_layers, {"conv", "full_attention"})) {
    for (const std::string& type : *types)
      draft.layer_mixers.push_back(type == "conv" ? "conv" : "attn");
  } else {
    draft.layer_mixers.assign(draft.n_layers, "conv");
    for (std::uint64_t index : config.counts("full_attn_idxs")) {
      if (index >= draft.n_layers)
        throw UserError({config.file(), 0, 0}, "full_attn_idxs",
                        fmt::format("0-based indices below {}", draft.n_layers),
                        std::to_string(index));
      draft.layer_mixers[index] = "attn";
    }
  }
  draft.ffns.push_back(dense_ffn("mlp", "swiglu", lfm2_ffn_width(config, draft), "see notes"));
  draft.layer_ffns.assign(draft.n_layers, "mlp");
}

void map_recurrent_gemma(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.recurrent_state_dtype = "fp32";
  draft.notes.push_back("recurrent state fp32: the RG-LRU scan accumulates in float32");
  draft.conv_state_dtype = draft.weights_dtype;
  const std::uint64_t heads = config.positive("num_attention_heads");
  const std::uint64_t width = config.optional_count("lru_width").value_or(draft.d_model);
  if (width % heads != 0)
    throw UserError({config.file(), 0, 0}, "lru_width",
                    fmt::format("a multiple of num_attention_heads ({})", heads),
                    std::to_string(width));
  draft.mixers.push_back(
      {"rec",
       {text_field("kind", "rg_lru"), field("n_heads", heads, "num_attention_heads"),
        field("block_width", width / heads, "lru_width / num_attention_heads"),
        field("conv_kernel", config.positive("conv1d_width"), "conv1d_width")}});
  Instance attention = attention_instance(config, "attn");
  attention.fields.push_back(
      field("window", config.positive("attention_window_size"), "attention_window_size"));
  // o_proj always has a bias; attention_bias adds q, k, v (and o) biases in add_weight_keys.
  if (!config.optional_boolean("attention_bias").value_or(false))
    attention.fields.push_back(text_field("o_bias", "true", "RecurrentGemmaSdpaAttention o_proj"));
  draft.mixers.push_back(attention);
  // block_types (saved as _block_types by some versions), cycled over the layers.
  const std::vector<std::string> types =
      config.has("block_types") ? config.texts("block_types") : config.texts("_block_types");
  if (types.empty())
    throw UserError({config.file(), 0, 0}, "block_types", "a non-empty list", "[]");
  for (std::size_t i = 0; i < draft.n_layers; ++i) {
    const std::string& type = types[i % types.size()];
    if (type != "recurrent" && type != "attention")
      throw UserError({config.file(), 0, 0}, "block_types", "recurrent or attention",
                      fmt::format("'{}'", type));
    draft.layer_mixers.push_back(type == "recurrent" ? "rec" : "attn");
  }
  // RecurrentGemmaMlp: gate_proj and up_proj hidden → intermediate_size // 2, with biases.
  Instance mlp = dense_ffn(
      "mlp",
      activation_for(config.optional_text("hidden_activation").value_or("gelu_pytorch_tanh"), true),
      config.positive("intermediate_size") / 2, "intermediate_size // 2");
  mlp.fields.push_back(text_field("bias", "true", "RecurrentGemmaMlp biases"));
  draft.ffns.push_back(mlp);
  draft.layer_ffns.assign(draft.n_layers, "mlp");
}

}  // namespace attnsim::import
