// Helpers shared by the family mappers.
#include <fmt/format.h>

#include "core/units.h"
#include "import/families.h"

namespace attnsim::import {

Field field(std::string key, std::uint64_t value, std::string comment) {
  return {std::move(key), std::to_string(value), std::move(comment)};
}

Field text_field(std::string key, std::string value, std::string comment) {
  return {std::move(key), std::move(value), std::move(comment)};
}

std::string dtype_name_for(const std::string& hf_dtype) {
  const auto dtype = parse_dtype(hf_dtype);
  if (!dtype)
    throw UserError({}, "torch_dtype", "a dtype such as bfloat16 or float32",
                    fmt::format("'{}'", hf_dtype));
  return std::string(attnsim::dtype_name(*dtype));
}

void read_common(const HfConfig& config, ArchitectureDraft& draft) {
  draft.d_model = config.positive("hidden_size");
  draft.vocab_size = config.positive("vocab_size");
  draft.n_layers = config.positive("num_hidden_layers");
  draft.tied_embeddings = config.boolean("tie_word_embeddings");
  draft.max_context = config.optional_count("max_position_embeddings");
  auto dtype = config.optional_text("torch_dtype");
  if (!dtype) dtype = config.optional_text("dtype");
  if (dtype) {
    draft.weights_dtype = dtype_name_for(*dtype);
  } else {
    draft.weights_dtype = "bf16";
    draft.notes.push_back("the config names no torch_dtype/dtype: bf16 assumed for weights and caches");
    draft.unverified.push_back("dtypes.weights");
  }
  draft.kv_cache_dtype = draft.weights_dtype;
  // Quantised releases store weights narrower than torch_dtype; caches keep torch_dtype.
  if (const auto method = config.optional_text("quantization_config.quant_method")) {
    if (*method == "fp8") {
      draft.weights_dtype = "fp8";
      draft.notes.push_back("weights fp8: quantization_config.quant_method fp8");
    } else if (*method == "mxfp4") {
      draft.weights_dtype = "int4";
      draft.notes.push_back("weights int4: quantization_config.quant_method mxfp4 (4-bit experts; "
                            "attnsim's nearest storage width)");
    }
  }
}

void read_mtp(const HfConfig& config, ArchitectureDraft& draft, std::string_view key) {
  const std::uint64_t modules = config.optional_count(key).value_or(0);
  if (modules == 0 || draft.layer_mixers.empty() || draft.layer_ffns.empty()) return;
  draft.mtp = MtpDraft{modules, draft.layer_mixers.back(), draft.layer_ffns.back(), std::string(key)};
}

Instance attention_instance(const HfConfig& config, std::string name, std::string kind) {
  const std::uint64_t heads = config.positive("num_attention_heads");
  const std::uint64_t kv_heads = config.optional_count("num_key_value_heads").value_or(heads);
  const std::uint64_t head_dim =
      config.optional_count("head_dim").value_or(config.positive("hidden_size") / heads);
  return {std::move(name),
          {text_field("kind", std::move(kind)), field("n_heads", heads, "num_attention_heads"),
           field("n_kv_heads", kv_heads, "num_key_value_heads"),
           field("head_dim", head_dim, config.has("head_dim") ? "head_dim" : "hidden_size / num_attention_heads")}};
}

std::string activation_for(const std::string& hf_activation, bool gated) {
  if (hf_activation == "relu2") return "relu2";
  const bool gelu = hf_activation.starts_with("gelu");
  if (gated) return gelu ? "geglu" : "swiglu";
  if (gelu) return "gelu";
  throw UserError({}, "hidden_act", "an activation attnsim knows (silu, gelu*, relu2)",
                  fmt::format("'{}'", hf_activation));
}

Instance dense_ffn(std::string name, std::string activation, std::uint64_t width, std::string comment) {
  return {std::move(name),
          {text_field("kind", "dense"), text_field("activation", std::move(activation)),
           field("d_ff", width, std::move(comment))}};
}

Instance moe_ffn(std::string name, std::string activation, std::uint64_t experts, std::uint64_t top_k,
                 std::uint64_t width, std::uint64_t shared_experts, std::uint64_t shared_width) {
  Instance moe{std::move(name),
               {text_field("kind", "moe"), text_field("activation", std::move(activation)),
                field("n_experts", experts), field("top_k", top_k), field("expert_width", width)}};
  if (shared_experts > 0) {
    moe.fields.push_back(field("n_shared_experts", shared_experts));
    moe.fields.push_back(field("shared_expert_width", shared_width));
  }
  return moe;
}

}  // namespace attnsim::import
