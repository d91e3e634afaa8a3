// Helpers shared by the family mappers.
#include <fmt/format.h>

#include <filesystem>

#include "config/reader.h"
#include "core/units.h"
#include "graph/architecture.h"
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

namespace {
// NVIDIA ModelOpt checkpoints declare their quantisation in hf_quant_config.json beside
// config.json: {"producer": {"name": "modelopt"}, "quantization": {"quant_algo": ...,
// "kv_cache_quant_algo": "FP8" | "INT8" | "NVFP4" | null}} (vLLM
// model_executor/layers/quantization/modelopt.py reads quantization.kv_cache_quant_algo so).
void read_modelopt_kv(ArchitectureDraft& draft) {
  const std::filesystem::path file =
      std::filesystem::path(draft.config).parent_path() / "hf_quant_config.json";
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) return;
  const HfConfig quant = load_hf_config(file.string());
  const std::string key = "quantization.kv_cache_quant_algo";
  if (!quant.has(key)) return;  // absent or null: the KV cache is not quantised
  const std::string algo = quant.text(key);
  const std::string dtype = algo == "FP8" ? "fp8" : algo == "INT8" ? "int8" : "";
  if (dtype.empty())
    throw UserError(quant.where(key), key, "FP8 or INT8 (the KV dtypes attnsim models)",
                    fmt::format("'{}'", algo));
  draft.kv_cache_dtype = dtype;
  draft.notes.push_back(
      fmt::format("kv_cache {}: hf_quant_config.json beside the config (ModelOpt) gives {} '{}'; "
                  "its per-tensor "
                  "K/V scales are not counted",
                  dtype, key, algo));
}

// The KV-cache dtype a checkpoint declares, if any. compressed-tensors and ModelOpt write
// quantization_config.kv_cache_scheme {num_bits, type: float|int, strategy, dynamic} (vLLM
// model_executor/layers/quantization/compressed_tensors and modelopt read it so); AMD Quark writes
// kv_cache_quant_config {"*k_proj": {output_tensors: {dtype: "fp8_e4m3", qscheme}}, ...}.
void read_kv_quantisation(const HfConfig& config, ArchitectureDraft& draft) {
  if (config.has("quantization_config.kv_cache_scheme")) {
    const std::string key = "quantization_config.kv_cache_scheme";
    const std::uint64_t bits = config.positive(key + ".num_bits");
    const std::string type = config.optional_text(key + ".type").value_or("int");
    const std::string strategy = config.optional_text(key + ".strategy").value_or("tensor");
    std::string dtype;
    if (bits == 8 && type == "float") dtype = "fp8";
    if (bits == 8 && type == "int") dtype = "int8";
    if (bits == 4 && type == "int") dtype = "int4";
    if (dtype.empty())
      throw UserError(config.where(key), key, "an 8-bit float, 8-bit int or 4-bit int KV scheme",
                      fmt::format("{}-bit {}", bits, type));
    draft.kv_cache_dtype = dtype;
    draft.notes.push_back(
        fmt::format("kv_cache {}: {} ({}-bit {}, strategy {}); its scales ({}) are not counted",
                    dtype, key, bits, type, strategy,
                    strategy == "tensor" ? "one per K and per V tensor of each layer, fixed in size"
                                         : "per " + strategy));
    if (strategy != "tensor" && strategy != "channel" && strategy != "head")
      draft.unverified.push_back("dtypes.kv_cache");
    return;
  }
  for (const std::string key :
       {"quantization_config.kv_cache_quant_config", "kv_cache_quant_config"}) {
    if (!config.has(key)) continue;
    const config::Node& node = *config.node(key);
    if (!node.is_map() || node.entries.empty()) continue;  // {}: the KV cache is not quantised
    std::string dtype, written;
    for (const auto& entry : node.entries) {
      // Entry keys are module globs that may hold dots: read the entry's node, not a key path.
      const std::string path = fmt::format("{}[{}].output_tensors.dtype", key, entry.key);
      const config::Node* tensors = entry.value.find("output_tensors");
      const config::Node* written_dtype = tensors != nullptr ? tensors->find("dtype") : nullptr;
      if (written_dtype == nullptr)
        throw UserError(entry.value.where, path, "the KV dtype of this entry", "no such key");
      const std::string name = config::as_string(*written_dtype, path);
      const std::string mapped = name.starts_with("fp8")             ? "fp8"
                                 : name == "int8" || name == "uint8" ? "int8"
                                 : name == "int4" || name == "uint4" ? "int4"
                                                                     : "";
      if (mapped.empty())
        throw UserError(written_dtype->where, path, "fp8_e4m3, fp8_e5m2, int8 or int4",
                        fmt::format("'{}'", name));
      if (!dtype.empty() && mapped != dtype)
        throw UserError(written_dtype->where, path,
                        fmt::format("the same dtype as the other entries ({})", written),
                        fmt::format("'{}'", name));
      dtype = mapped;
      written = name;
    }
    draft.kv_cache_dtype = dtype;
    draft.notes.push_back(
        fmt::format("kv_cache {}: {} ({} on K and V outputs; per-tensor scales not counted)", dtype,
                    key, written));
    return;
  }
  read_modelopt_kv(draft);
}
}  // namespace

std::uint64_t layer_count(const HfConfig& config, std::string_view key) {
  return config.positive_at_most(key, kMaxLayers, "layers",
                                 "the largest published models have a few hundred layers");
}

void read_common(const HfConfig& config, ArchitectureDraft& draft) {
  draft.d_model = config.positive("hidden_size");
  draft.vocab_size = config.positive("vocab_size");
  draft.n_layers = layer_count(config, "num_hidden_layers");
  draft.tied_embeddings = config.boolean("tie_word_embeddings");
  draft.max_context = config.optional_count("max_position_embeddings");
  auto dtype = config.optional_text("torch_dtype");
  if (!dtype) dtype = config.optional_text("dtype");
  if (dtype) {
    draft.weights_dtype = dtype_name_for(*dtype);
  } else {
    draft.weights_dtype = "bf16";
    draft.notes.push_back(
        "the config names no torch_dtype/dtype: bf16 assumed for weights and caches");
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
      draft.notes.push_back(
          "weights int4: quantization_config.quant_method mxfp4 (4-bit experts; "
          "attnsim's nearest storage width)");
    }
  }
  read_kv_quantisation(config, draft);
}

void read_mtp(const HfConfig& config, ArchitectureDraft& draft, std::string_view key) {
  const std::uint64_t modules = config.optional_count(key).value_or(0);
  if (modules == 0 || draft.layer_mixers.empty() || draft.layer_ffns.empty()) return;
  draft.mtp =
      MtpDraft{modules, draft.layer_mixers.back(), draft.layer_ffns.back(), std::string(key)};
}

Instance attention_instance(const HfConfig& config, std::string name, std::string kind) {
  const std::uint64_t heads = config.positive("num_attention_heads");
  const std::uint64_t kv_heads = config.optional_count("num_key_value_heads").value_or(heads);
  const std::uint64_t head_dim =
      config.optional_count("head_dim").value_or(config.positive("hidden_size") / heads);
  return {std::move(name),
          {text_field("kind", std::move(kind)), field("n_heads", heads, "num_attention_heads"),
           field("n_kv_heads", kv_heads, "num_key_value_heads"),
           field("head_dim", head_dim,
                 config.has("head_dim") ? "head_dim" : "hidden_size / num_attention_heads")}};
}

std::string activation_for(const std::string& hf_activation, bool gated) {
  if (hf_activation == "relu2") return "relu2";
  const bool gelu = hf_activation.starts_with("gelu");
  if (gated) return gelu ? "geglu" : "swiglu";
  if (gelu) return "gelu";
  throw UserError({}, "hidden_act", "an activation attnsim knows (silu, gelu*, relu2)",
                  fmt::format("'{}'", hf_activation));
}

Instance dense_ffn(std::string name, std::string activation, std::uint64_t width,
                   std::string comment) {
  return {std::move(name),
          {text_field("kind", "dense"), text_field("activation", std::move(activation)),
           field("d_ff", width, std::move(comment))}};
}

Instance moe_ffn(std::string name, std::string activation, std::uint64_t experts,
                 std::uint64_t top_k, std::uint64_t width, std::uint64_t shared_experts,
                 std::uint64_t shared_width) {
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
