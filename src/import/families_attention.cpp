// Mappers for softmax-attention families: Llama-like dense and MoE models, Gemma 3, GPT-2,
// GPT-OSS, MiMo-V2-Flash and Llama 4.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "import/families.h"

namespace attnsim::import {

namespace {
// The routed-expert FFN of a MoE config and the layers that keep a dense FFN instead, for the
// key spellings of the families mapped here.
struct MoeLayout {
  Instance moe;
  std::vector<bool> dense;  // per layer
};

// The first spelling the file writes, else the first its class gives a default for (Glm4MoeConfig
// n_routed_experts), else the "no such key" error for the first spelling.
std::uint64_t first_present(const HfConfig& config, std::initializer_list<std::string_view> keys,
                            std::string& which) {
  for (auto key : keys)
    if (config.has(key)) {
      which = std::string(key);
      return config.count(key);
    }
  for (auto key : keys)
    if (!config.is_null(key))
      if (const auto value = config.optional_count(key)) {
        which = std::string(key);
        return *value;
      }
  which = std::string(*keys.begin());
  return config.positive(*keys.begin());
}

MoeLayout read_moe(const HfConfig& config, const std::string& activation) {
  std::string experts_key, width_key, shared_key;
  const std::uint64_t experts =
      first_present(config, {"num_experts", "num_local_experts", "n_routed_experts"}, experts_key);
  const std::uint64_t width = config.model_type() == "minimax_m2"
                                  ? config.positive("intermediate_size")  // MiniMax: per expert
                                  : first_present(config, {"moe_intermediate_size"}, width_key);
  std::uint64_t shared = 0;
  if (config.optional_count("n_shared_experts") || config.optional_count("num_shared_experts"))
    shared = first_present(config, {"n_shared_experts", "num_shared_experts"}, shared_key);
  std::uint64_t shared_width = 0;
  if (shared > 0)
    shared_width = first_present(config,
                                 {"shared_expert_intermediate_size",
                                  "moe_shared_expert_intermediate_size", "moe_intermediate_size"},
                                 shared_key);
  if (config.model_type() == "minimax_m2" &&
      config.optional_count("shared_intermediate_size").value_or(0) > 0) {
    shared = 1;
    shared_width = config.count("shared_intermediate_size");
  }
  MoeLayout layout{moe_ffn("moe", activation, experts, config.positive("num_experts_per_tok"),
                           width, shared, shared_width),
                   std::vector<bool>(layer_count(config, "num_hidden_layers"), false)};
  const std::uint64_t first_dense = config.optional_count("first_k_dense_replace").value_or(0);
  const std::uint64_t step = config.optional_positive("decoder_sparse_step").value_or(1);
  std::vector<std::uint64_t> mlp_only;
  if (config.has("mlp_only_layers")) mlp_only = config.counts("mlp_only_layers");
  for (std::size_t i = 0; i < layout.dense.size(); ++i)
    layout.dense[i] = i < first_dense || (step > 1 && (i + 1) % step != 0) ||
                      std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end();
  return layout;
}

bool is_moe(const HfConfig& config) {
  for (auto key : {"num_experts", "num_local_experts", "n_routed_experts"})
    if (config.optional_count(key).value_or(0) > 0) return true;
  return false;
}

// Fills the FFN slots: dense everywhere, or MoE with its dense exceptions.
void assign_ffns(const HfConfig& config, ArchitectureDraft& draft, const std::string& activation) {
  if (!is_moe(config)) {
    draft.ffns.push_back(
        dense_ffn("mlp", activation, config.positive("intermediate_size"), "intermediate_size"));
    draft.layer_ffns.assign(draft.n_layers, "mlp");
    return;
  }
  MoeLayout layout = read_moe(config, activation);
  draft.ffns.push_back(layout.moe);
  bool any_dense = false;
  for (std::size_t i = 0; i < layout.dense.size(); ++i) {
    draft.layer_ffns.push_back(layout.dense[i] ? "dense" : "moe");
    any_dense = any_dense || layout.dense[i];
  }
  if (any_dense)
    draft.ffns.push_back(
        dense_ffn("dense", activation, config.positive("intermediate_size"), "intermediate_size"));
}
}  // namespace

void map_llama_like(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  const Instance attention = attention_instance(config, "attn");
  const std::vector<bool> nope = smollm3_nope_layers(config, draft.n_layers);
  const SlidingLayout windows = sliding_layout(config, draft.n_layers, nope);
  draft.notes.insert(draft.notes.end(), windows.notes.begin(), windows.notes.end());
  // One instance per (window, RoPE) combination the layers use.
  for (std::size_t i = 0; i < draft.n_layers; ++i) {
    Instance instance = attention;
    if (windows.sliding[i]) {
      instance.name = "local";
      instance.fields.push_back(field("window", *windows.window, "sliding_window"));
    }
    if (nope[i]) {
      instance.name = windows.sliding[i] ? "local_nope" : "nope";
      instance.fields.push_back(text_field("rope", "false", "no_rope_layers[i] == 0"));
    }
    const bool known = std::any_of(draft.mixers.begin(), draft.mixers.end(),
                                   [&](const Instance& m) { return m.name == instance.name; });
    if (!known) draft.mixers.push_back(instance);
    draft.layer_mixers.push_back(instance.name);
  }
  assign_ffns(config, draft,
              activation_for(config.optional_text("hidden_act").value_or("silu"), true));
  read_mtp(config, draft, "num_nextn_predict_layers");
}

void map_gemma3(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  Instance local = attention_instance(config, "local");
  local.fields.push_back(field("window", config.positive("sliding_window"), "sliding_window"));
  draft.mixers.push_back(local);
  draft.mixers.push_back(attention_instance(config, "global"));
  // Gemma3TextConfig (transformers @008e5743 models/gemma3/configuration_gemma3.py): an explicit
  // layer_types wins; else layer i is full attention when (i + 1) % sliding_window_pattern == 0
  // (the pattern is only read for that, default 6).
  if (const auto types =
          read_layer_types(config, draft.n_layers, {"full_attention", "sliding_attention"})) {
    for (const auto& type : *types)
      draft.layer_mixers.push_back(type == "sliding_attention" ? "local" : "global");
    draft.notes.push_back(
        "per-layer attention from layer_types (it takes precedence over sliding_window_pattern)");
  } else {
    const std::uint64_t period = config.positive("sliding_window_pattern");
    for (std::size_t i = 0; i < draft.n_layers; ++i)
      draft.layer_mixers.push_back((i + 1) % period == 0 ? "global" : "local");
    draft.notes.push_back(
        fmt::format("layer i is global when (i + 1) % {} == 0 (sliding_window_pattern)", period));
  }
  const std::string activation = activation_for(config.text("hidden_activation"), true);
  draft.ffns.push_back(
      dense_ffn("mlp", activation, config.positive("intermediate_size"), "intermediate_size"));
  draft.layer_ffns.assign(draft.n_layers, "mlp");
}

void map_gpt2(const HfConfig& config, ArchitectureDraft& draft) {
  draft.d_model = config.positive("n_embd");
  draft.vocab_size = config.positive("vocab_size");
  draft.n_layers = layer_count(config, "n_layer");
  draft.tied_embeddings = config.boolean("tie_word_embeddings");
  draft.max_context = config.positive("n_positions");
  draft.weights_dtype = "fp32";
  draft.kv_cache_dtype = "fp32";
  draft.notes.push_back("GPT-2 was released in fp32 and its config names no dtype");
  const std::uint64_t heads = config.positive("n_head");
  draft.mixers.push_back({"attn",
                          {text_field("kind", "softmax_attn"), field("n_heads", heads, "n_head"),
                           field("n_kv_heads", heads, "MHA"),
                           field("head_dim", draft.d_model / heads, "n_embd / n_head"),
                           text_field("rope", "false", "learned absolute positions")}});
  draft.layer_mixers.assign(draft.n_layers, "attn");
  // n_inner null: the MLP is 4 × n_embd wide (GPT2MLP).
  const std::uint64_t width = config.optional_count("n_inner").value_or(4 * draft.d_model);
  draft.ffns.push_back(dense_ffn("mlp", "gelu", width,
                                 config.has("n_inner") ? "n_inner" : "4 × n_embd (n_inner null)"));
  draft.layer_ffns.assign(draft.n_layers, "mlp");
}

// Per-layer attention from HF `layer_types` ("sliding_attention" / "full_attention").
void map_gpt_oss(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  Instance local = attention_instance(config, "local");
  local.fields.push_back(field("window", config.positive("sliding_window"), "sliding_window"));
  draft.mixers.push_back(local);
  draft.mixers.push_back(attention_instance(config, "global"));
  // GptOssConfig (transformers @02b8f42b models/gpt_oss/configuration_gpt_oss.py): layer_types,
  // else sliding when (i + 1) % 2 != 0 (even 0-based layers slide).
  if (const auto types =
          read_layer_types(config, draft.n_layers, {"full_attention", "sliding_attention"})) {
    for (const auto& type : *types)
      draft.layer_mixers.push_back(type == "sliding_attention" ? "local" : "global");
  } else {
    for (std::size_t i = 0; i < draft.n_layers; ++i)
      draft.layer_mixers.push_back((i + 1) % 2 != 0 ? "local" : "global");
    draft.notes.push_back(
        "layer_types absent: GptOssConfig's default, layer i slides when (i + 1) % 2 != 0");
  }
  draft.ffns.push_back(moe_ffn("moe", "swiglu", config.positive("num_local_experts"),
                               config.positive("num_experts_per_tok"),
                               config.positive("intermediate_size"), 0, 0));
  draft.layer_ffns.assign(draft.n_layers, "moe");
}

void map_mimo_v2(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  auto instance = [&](std::string name, std::string prefix, std::optional<std::uint64_t> window) {
    Instance attention{
        std::move(name),
        {text_field("kind", "softmax_attn"),
         field("n_heads", config.positive(prefix + "num_attention_heads"),
               prefix + "num_attention_heads"),
         field("n_kv_heads", config.positive(prefix + "num_key_value_heads"),
               prefix + "num_key_value_heads"),
         field("head_dim_k", config.positive(prefix + "head_dim"), prefix + "head_dim"),
         field("head_dim_v", config.positive(prefix + "v_head_dim"), prefix + "v_head_dim")}};
    if (window) attention.fields.push_back(field("window", *window, "sliding_window"));
    return attention;
  };
  draft.mixers.push_back(instance("local", "swa_", config.positive("sliding_window")));
  draft.mixers.push_back(instance("global", "", std::nullopt));
  // hybrid_layer_pattern[i] == 1: a sliding-window layer; moe_layer_freq[i] == 1: a MoE layer.
  for (std::uint64_t sliding : config.counts("hybrid_layer_pattern"))
    draft.layer_mixers.push_back(sliding == 1 ? "local" : "global");
  draft.ffns.push_back(moe_ffn("moe", "swiglu", config.positive("n_routed_experts"),
                               config.positive("num_experts_per_tok"),
                               config.positive("moe_intermediate_size"),
                               config.optional_count("n_shared_experts").value_or(0),
                               config.optional_count("moe_intermediate_size").value_or(0)));
  draft.ffns.push_back(
      dense_ffn("dense", "swiglu", config.positive("intermediate_size"), "intermediate_size"));
  for (std::uint64_t moe : config.counts("moe_layer_freq"))
    draft.layer_ffns.push_back(moe == 1 ? "moe" : "dense");
}

void map_llama4(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  Instance chunked = attention_instance(config, "chunked");
  chunked.fields.push_back(
      field("chunk", config.positive("attention_chunk_size"), "attention_chunk_size"));
  Instance global = attention_instance(config, "global");
  global.fields.push_back(text_field("rope", "false", "no_rope_layers"));
  draft.mixers.push_back(chunked);
  draft.mixers.push_back(global);
  // Llama4TextConfig.__post_init__ (models/llama4/configuration_llama4.py @008e5743):
  // no_rope_layers (1 RoPE, 0 NoPE) unless empty or absent, then a NoPE layer where
  // (i + 1) % no_rope_layer_interval == 0; layer_types unless absent, then chunked_attention on
  // the RoPE layers and full_attention on the NoPE ones; moe_layers unless absent (an empty list
  // is kept: no MoE layer), then range(interleave_moe_layer_step − 1, n, step).
  const std::size_t n = draft.n_layers;
  std::vector<std::uint64_t> rope;
  if (config.has("no_rope_layers")) rope = config.counts("no_rope_layers");
  if (rope.empty()) {
    const std::uint64_t interval = config.positive("no_rope_layer_interval");
    for (std::size_t i = 0; i < n; ++i) rope.push_back((i + 1) % interval != 0 ? 1 : 0);
  } else if (rope.size() < n) {
    throw UserError(config.where("no_rope_layers"), "no_rope_layers",
                    fmt::format("at least num_hidden_layers ({}) entries", n),
                    fmt::format("{} entries", rope.size()));
  }
  const std::vector<std::string> types =
      read_layer_types(config, n, {"chunked_attention", "full_attention"})
          .value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i < n; ++i) {
    const bool chunked = types.empty() ? rope[i] != 0 : types.at(i) == "chunked_attention";
    draft.layer_mixers.push_back(chunked ? "chunked" : "global");
  }
  std::set<std::uint64_t> moe;
  if (config.has("moe_layers")) {
    for (const std::uint64_t i : config.counts("moe_layers")) {
      if (i >= n)
        throw UserError(config.where("moe_layers"), "moe_layers",
                        fmt::format("layer indices below num_hidden_layers ({})", n),
                        fmt::format("{}", i));
      moe.insert(i);
    }
  } else {
    const std::uint64_t step = config.positive("interleave_moe_layer_step");
    for (std::uint64_t i = step - 1; i < n; i += step) moe.insert(i);
  }
  for (std::size_t i = 0; i < n; ++i) draft.layer_ffns.push_back(moe.contains(i) ? "moe" : "dense");
  draft.ffns.push_back(moe_ffn(
      "moe", "swiglu", config.positive("num_local_experts"), config.positive("num_experts_per_tok"),
      config.positive("intermediate_size"), 1, config.positive("intermediate_size")));
  draft.ffns.push_back(dense_ffn("dense", "swiglu", config.positive("intermediate_size_mlp"),
                                 "intermediate_size_mlp"));
}

}  // namespace attnsim::import
