// Mappers for latent-attention and hybrid families: DeepSeek V3/V3.2 (and Kimi K2, GLM-5),
// Kimi Linear, Qwen3-Next / Qwen3.5, Nemotron-H, Bamba, Granite 4.0, Ring/Ling linear,
// MiniMax-01/M1 and DeepSeek V4.
#include <fmt/format.h>

#include <algorithm>

#include "import/families.h"

namespace attnsim::import {

namespace {
Instance mla_instance(const HfConfig& config, std::string name) {
  return {std::move(name),
          {text_field("kind", "mla"),
           field("n_heads", config.positive("num_attention_heads"), "num_attention_heads"),
           field("q_lora_rank", config.optional_count("q_lora_rank").value_or(0),
                 "q_lora_rank (null: none)"),
           field("kv_lora_rank", config.positive("kv_lora_rank")),
           field("qk_nope_head_dim", config.positive("qk_nope_head_dim")),
           field("qk_rope_head_dim", config.positive("qk_rope_head_dim")),
           field("v_head_dim", config.positive("v_head_dim"))}};
}

// Renders a nested mixer map as one YAML flow map.
std::string flow_map(const Instance& instance) {
  std::string out = "{";
  for (std::size_t i = 0; i < instance.fields.size(); ++i)
    out += fmt::format("{}{}: {}", i ? ", " : "", instance.fields[i].key, instance.fields[i].value);
  return out + "}";
}

// DeepSeek-style FFN placement: dense for the first first_k_dense_replace layers, then MoE
// every moe_layer_freq-th layer (DeepseekV3DecoderLayer).
void deepseek_ffns(const HfConfig& config, ArchitectureDraft& draft, std::string_view top_k_key) {
  // The spelling the file writes, else the class default of n_* (KimiLinearConfig has one).
  const std::uint64_t shared = config.has("n_shared_experts") ? config.count("n_shared_experts")
                               : config.has("num_shared_experts")
                                   ? config.count("num_shared_experts")
                                   : config.optional_count("n_shared_experts").value_or(0);
  const std::uint64_t width = config.positive("moe_intermediate_size");
  const std::uint64_t experts = config.has("num_experts") && !config.has("n_routed_experts")
                                    ? config.positive("num_experts")
                                    : config.positive("n_routed_experts");
  draft.ffns.push_back(
      moe_ffn("moe", "swiglu", experts, config.positive(top_k_key), width, shared, width));
  const std::uint64_t first_dense = config.optional_count("first_k_dense_replace").value_or(0);
  const std::uint64_t period = config.optional_positive("moe_layer_freq").value_or(1);
  // GlmMoeDsaConfig (transformers @008e5743) and KimiLinearConfig (@630ebd85): an explicit
  // mlp_layer_types ("dense"/"sparse" per layer) wins over first_k_dense_replace (whose class
  // default is 3 and 1).
  std::optional<std::vector<std::string>> types;
  if (config.text_model_type() == "glm_moe_dsa" || config.text_model_type() == "kimi_linear")
    types = read_layer_types(config, draft.n_layers, {"dense", "sparse"}, "mlp_layer_types");
  for (std::size_t i = 0; i < draft.n_layers; ++i)
    draft.layer_ffns.push_back(types ? ((*types)[i] == "sparse" ? "moe" : "dense")
                                     : (i >= first_dense && i % period == 0 ? "moe" : "dense"));
  if (std::find(draft.layer_ffns.begin(), draft.layer_ffns.end(), "dense") !=
      draft.layer_ffns.end())
    draft.ffns.push_back(
        dense_ffn("dense", "swiglu", config.positive("intermediate_size"), "intermediate_size"));
}

// Recurrent-state dtype: the config's own key where it has one, else the model dtype (noted).
std::string state_dtype(const HfConfig& config, ArchitectureDraft& draft, std::string_view key) {
  if (const auto dtype = config.optional_text(key)) return dtype_name_for(*dtype);
  draft.notes.push_back(
      fmt::format("recurrent/conv state dtype: the config has no {}; the model dtype ({}) is used",
                  key, draft.weights_dtype));
  return draft.weights_dtype;
}
}  // namespace

namespace {
// GLM-5 (glm_moe_dsa) indexer sharing, as GlmMoeDsaConfig derives indexer_types (transformers
// @008e5743 models/glm_moe_dsa/configuration_glm_moe_dsa.py): indexer_types as written ("full"
// runs the indexer, "shared" reuses the previous full layer's top-k); else index_topk_pattern
// ("F"/"S" per layer, a string or a list); else layer i is full when
// max(i − index_skip_topk_offset + 1, 0) % max(index_topk_freq, 1) == 0 (defaults 2 and 1).
// Returns true per layer that runs its own indexer.
std::vector<bool> glm_indexer_layers(const HfConfig& config, ArchitectureDraft& draft) {
  const std::uint64_t n = draft.n_layers;
  std::vector<bool> full(n, true);
  const auto from_types = [&](const std::vector<std::string>& types, const std::string& key) {
    if (types.size() != n)
      throw UserError(config.where(key), key, fmt::format("one entry per layer ({})", n),
                      fmt::format("{} entries", types.size()));
    for (std::size_t i = 0; i < n; ++i) {
      if (types[i] != "full" && types[i] != "shared")
        throw UserError(config.where(key), fmt::format("{}[{}]", key, i), "full or shared (F or S)",
                        fmt::format("'{}'", types[i]));
      full[i] = types[i] == "full";
    }
  };
  if (config.has("indexer_types")) {
    from_types(config.texts("indexer_types"), "indexer_types");
    draft.notes.push_back("indexer sharing from indexer_types");
  } else if (config.has("index_topk_pattern")) {
    std::vector<std::string> types;
    const config::Node& pattern = *config.node("index_topk_pattern");
    const auto letter = [](const std::string& c) {
      return c == "F" ? "full" : c == "S" ? "shared" : c;
    };
    if (pattern.is_sequence()) {
      for (const auto& item : config.texts("index_topk_pattern")) types.push_back(letter(item));
    } else {
      for (char c : config.text("index_topk_pattern")) types.push_back(letter(std::string(1, c)));
    }
    from_types(types, "index_topk_pattern");
    draft.notes.push_back("indexer sharing from index_topk_pattern (F: own indexer, S: shared)");
  } else {
    const std::uint64_t freq =
        std::max<std::uint64_t>(config.optional_count("index_topk_freq").value_or(1), 1);
    const std::uint64_t offset = config.optional_count("index_skip_topk_offset").value_or(2);
    for (std::size_t i = 0; i < n; ++i) full[i] = (i + 1 > offset ? i + 1 - offset : 0) % freq == 0;
    if (freq > 1)
      draft.notes.push_back(fmt::format(
          "layer i runs its own indexer when max(i - {} + 1, 0) % {} == 0 (index_skip_topk_offset, "
          "index_topk_freq); the others reuse the previous such layer's top-k",
          offset, freq));
  }
  return full;
}
}  // namespace

void map_deepseek(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  Instance mla = mla_instance(config, "mla");
  if (config.has("index_topk")) {
    // DSA: the indexer key cache layout (fp8 keys, one fp32 scale per 128 elements) is that of
    // DeepSeek-V3.2-Exp inference/model.py; config.json does not state it.
    const std::uint64_t index_dim = config.positive("index_head_dim");
    const std::uint64_t topk = config.positive("index_topk");
    Instance dsa{"dsa",
                 {text_field("kind", "dsa"), text_field("attention", flow_map(mla)),
                  text_field("indexer",
                             fmt::format("{{n_heads: {}, head_dim: {}, topk: {}, key_dtype: fp8, "
                                         "key_scale_bytes_per_token: {}}}",
                                         config.positive("index_n_heads"), index_dim, topk,
                                         4 * ((index_dim + 127) / 128)),
                             "index_n_heads, index_head_dim, index_topk")}};
    draft.notes.push_back(
        "indexer keys cached in fp8 with one fp32 scale per 128 elements, as in "
        "DeepSeek-V3.2-Exp inference/model.py (config.json does not state the cache layout)");
    draft.mixers.push_back(dsa);
    const std::vector<bool> own = config.text_model_type() == "glm_moe_dsa"
                                      ? glm_indexer_layers(config, draft)
                                      : std::vector<bool>(draft.n_layers, true);
    for (std::size_t i = 0; i < draft.n_layers; ++i)
      draft.layer_mixers.push_back(own[i] ? "dsa" : "dsa_shared");
    if (std::find(own.begin(), own.end(), false) != own.end())
      draft.mixers.push_back(
          {"dsa_shared",
           {text_field("kind", "dsa"), text_field("attention", flow_map(mla)),
            text_field("indexer", fmt::format("{{shared: true, topk: {}}}", topk),
                       "indexer_types \"shared\": the previous full layer's top-k")}});
  } else {
    draft.mixers.push_back(mla);
    draft.layer_mixers.assign(draft.n_layers, "mla");
  }
  deepseek_ffns(config, draft, "num_experts_per_tok");
  read_mtp(config, draft, "num_nextn_predict_layers");
  // An MTP module runs its block alone, after the last layer: it has no earlier selection to reuse.
  if (draft.mtp && draft.mtp->mixer == "dsa_shared") draft.mtp->mixer = "dsa";
}

namespace {
// A KimiLinearConfig field the checkpoint may write in linear_attn_config: that entry, else the
// top-level field, else the class default (__post_init__ reads linear_attn_config first).
std::uint64_t kimi_linear_field(const HfConfig& config, std::string_view nested,
                                std::string_view top, std::string& source) {
  const std::string key = fmt::format("linear_attn_config.{}", nested);
  source = config.has(key) ? key : std::string(top);
  return config.positive(source);
}

// KimiLinearConfig.__post_init__ (transformers models/kimi_linear/configuration_kimi_linear.py
// @630ebd85): layer_types as written; else, when linear_attn_config holds both full_attn_layers and
// kda_layers (1-based), those; else full attention at every i > 0 with i % 4 == 0.
std::vector<std::string> kimi_linear_layer_types(const HfConfig& config, ArchitectureDraft& draft) {
  const std::uint64_t n = draft.n_layers;
  if (const auto types = read_layer_types(config, n, {"full_attention", "linear_attention"})) {
    draft.notes.push_back("layer types from layer_types");
    return *types;
  }
  const bool lists = config.has("linear_attn_config.full_attn_layers") &&
                     config.has("linear_attn_config.kda_layers");
  if (!lists) {
    if (config.has("linear_attn_config.full_attn_layers"))
      draft.notes.push_back(
          "linear_attn_config.full_attn_layers without kda_layers is ignored, as "
          "KimiLinearConfig ignores it");
    draft.notes.push_back(
        "no layer_types and no full_attn_layers + kda_layers: KimiLinearConfig's default, full "
        "attention at every layer i > 0 with i % 4 == 0");
    std::vector<std::string> types;
    for (std::size_t i = 0; i < n; ++i)
      types.push_back(i > 0 && i % 4 == 0 ? "full_attention" : "linear_attention");
    return types;
  }
  std::vector<std::string> types(n);
  for (const auto& [list, type] : {std::pair{"full_attn_layers", "full_attention"},
                                   std::pair{"kda_layers", "linear_attention"}}) {
    const std::string key = fmt::format("linear_attn_config.{}", list);
    for (std::uint64_t one_based : config.counts(key)) {
      if (one_based == 0 || one_based > n)
        throw UserError(config.where(key), key, fmt::format("1-based layer numbers up to {}", n),
                        std::to_string(one_based));
      types[one_based - 1] = type;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (types[i].empty())
      throw UserError(config.where("linear_attn_config"), "linear_attn_config",
                      "every layer in full_attn_layers or kda_layers (1-based)",
                      fmt::format("layer {} in neither", i + 1));
  draft.notes.push_back("linear_attn_config.full_attn_layers and kda_layers are 1-based");
  return types;
}
}  // namespace

void map_kimi_linear(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  // attribute_map: model_max_length is max_position_embeddings.
  draft.max_context = config.has("model_max_length")
                          ? config.optional_count("model_max_length")
                          : config.optional_count("max_position_embeddings");
  std::string heads_key, dim_key, conv_key;
  const std::uint64_t heads = kimi_linear_field(config, "num_heads", "linear_num_heads", heads_key);
  const std::uint64_t head_dim = kimi_linear_field(config, "head_dim", "linear_head_dim", dim_key);
  const std::uint64_t conv =
      kimi_linear_field(config, "short_conv_kernel_size", "linear_conv_kernel_dim", conv_key);
  draft.mixers.push_back(
      {"kda",
       {text_field("kind", "kda"), field("n_qk_heads", heads, heads_key),
        field("n_v_heads", heads, heads_key), field("head_dim_k", head_dim, dim_key),
        field("head_dim_v", head_dim, dim_key), field("conv_kernel", conv, conv_key)}});
  draft.mixers.push_back(mla_instance(config, "mla"));
  for (const auto& type : kimi_linear_layer_types(config, draft))
    draft.layer_mixers.push_back(type == "full_attention" ? "mla" : "kda");
  const std::string dtype = state_dtype(config, draft, "mamba_ssm_cache_dtype");
  draft.recurrent_state_dtype = dtype;
  draft.conv_state_dtype = draft.weights_dtype;
  // attribute_map: num_experts_per_token is num_experts_per_tok.
  deepseek_ffns(
      config, draft,
      config.has("num_experts_per_token") ? "num_experts_per_token" : "num_experts_per_tok");
}

void map_qwen3_next(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  Instance attention = attention_instance(config, "attn", "gated_attn");
  const auto factor = config.optional_number("partial_rotary_factor")
                          ? config.optional_number("partial_rotary_factor")
                          : config.optional_number("rope_parameters.partial_rotary_factor");
  if (factor)
    attention.fields.push_back(text_field("partial_rotary_factor", fmt::format("{}", *factor)));
  draft.mixers.push_back(attention);
  draft.mixers.push_back(
      {"gdn",
       {text_field("kind", "gated_deltanet"),
        field("n_qk_heads", config.positive("linear_num_key_heads"), "linear_num_key_heads"),
        field("n_v_heads", config.positive("linear_num_value_heads"), "linear_num_value_heads"),
        field("head_dim_k", config.positive("linear_key_head_dim"), "linear_key_head_dim"),
        field("head_dim_v", config.positive("linear_value_head_dim"), "linear_value_head_dim"),
        field("conv_kernel", config.positive("linear_conv_kernel_dim"),
              "linear_conv_kernel_dim")}});
  if (config.has("layer_types")) {
    for (const auto& type : config.texts("layer_types"))
      draft.layer_mixers.push_back(type == "full_attention" ? "attn" : "gdn");
  } else {
    const std::uint64_t interval = config.positive("full_attention_interval");
    for (std::size_t i = 0; i < draft.n_layers; ++i)
      draft.layer_mixers.push_back((i + 1) % interval == 0 ? "attn" : "gdn");
  }
  const std::string dtype = state_dtype(config, draft, "mamba_ssm_dtype");
  draft.recurrent_state_dtype = dtype;
  draft.conv_state_dtype = draft.weights_dtype;
  if (config.optional_count("num_experts").value_or(0) > 0) {
    draft.ffns.push_back(moe_ffn("moe", "swiglu", config.positive("num_experts"),
                                 config.positive("num_experts_per_tok"),
                                 config.positive("moe_intermediate_size"), 1,
                                 config.positive("shared_expert_intermediate_size")));
    draft.layer_ffns.assign(draft.n_layers, "moe");
  } else {
    draft.ffns.push_back(
        dense_ffn("mlp", "swiglu", config.positive("intermediate_size"), "intermediate_size"));
    draft.layer_ffns.assign(draft.n_layers, "mlp");
  }
  read_mtp(config, draft, "mtp_num_hidden_layers");
}

namespace {
// NemotronHConfig.__post_init__ (transformers models/nemotron_h/configuration_nemotron_h.py
// @13923c63): layer_types first (linear_attention, moe, full_attention, mlp; the legacy mamba and
// attention too), else hybrid_override_pattern, else the class's four layers
// [linear_attention, moe, full_attention, mlp]; the layer count is the list's length
// (num_hidden_layers is deprecated: a different value only draws a warning).
std::string nemotron_h_pattern(const HfConfig& config, ArchitectureDraft& draft) {
  std::string pattern;
  if (config.has("layer_types")) {
    const std::vector<std::string> types = config.texts("layer_types");
    for (std::size_t i = 0; i < types.size(); ++i) {
      const std::string& type = types[i];
      const char letter = type == "linear_attention" || type == "mamba"     ? 'M'
                          : type == "full_attention" || type == "attention" ? '*'
                          : type == "moe"                                   ? 'E'
                          : type == "mlp"                                   ? '-'
                                                                            : '?';
      if (letter == '?')
        throw UserError(config.where("layer_types"), fmt::format("layer_types[{}]", i),
                        "linear_attention, full_attention, moe or mlp", fmt::format("'{}'", type));
      pattern += letter;
    }
  } else if (config.has("hybrid_override_pattern")) {
    pattern = config.text("hybrid_override_pattern");
  } else {
    pattern = "ME*-";
    draft.notes.push_back(
        "library default: layer_types and hybrid_override_pattern absent: NemotronHConfig's four "
        "layers [linear_attention, moe, full_attention, mlp]");
  }
  if (pattern.size() != draft.n_layers) {
    draft.notes.push_back(fmt::format(
        "num_hidden_layers {} differs from the {} layer types; NemotronHConfig counts the types",
        draft.n_layers, pattern.size()));
    draft.n_layers = pattern.size();
  }
  return pattern;
}
}  // namespace

void map_nemotron_h(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.recurrent_state_dtype = state_dtype(config, draft, "mamba_ssm_cache_dtype");
  draft.conv_state_dtype = draft.weights_dtype;
  draft.mixers.push_back({"mamba",
                          {text_field("kind", "mamba2"),
                           field("n_heads", config.positive("mamba_num_heads"), "mamba_num_heads"),
                           field("head_dim", config.positive("mamba_head_dim"), "mamba_head_dim"),
                           field("state_size", config.positive("ssm_state_size"), "ssm_state_size"),
                           field("n_groups", config.positive("n_groups")),
                           field("conv_kernel", config.positive("conv_kernel"))}});
  Instance attention = attention_instance(config, "attn");
  attention.fields.push_back(
      text_field("rope", "false", "NemotronH attention has no positional encoding"));
  draft.mixers.push_back(attention);
  draft.pattern = nemotron_h_pattern(config, draft);
  draft.letters = {{'M', {"mixer", "mamba"}}, {'*', {"mixer", "attn"}}};
  const std::string activation = activation_for(config.text("mlp_hidden_act"), false);
  if (draft.pattern.find('E') != std::string::npos) {
    Instance moe =
        moe_ffn("moe", activation, config.positive("n_routed_experts"),
                config.positive("num_experts_per_tok"), config.positive("moe_intermediate_size"),
                config.optional_count("n_shared_experts").value_or(0),
                config.optional_count("moe_shared_expert_intermediate_size").value_or(0));
    if (const auto latent = config.optional_count("moe_latent_size"))
      moe.fields.push_back(field("latent_dim", *latent, "moe_latent_size"));
    draft.ffns.push_back(moe);
    draft.letters.push_back({'E', {"ffn", "moe"}});
  }
  if (draft.pattern.find('-') != std::string::npos) {
    draft.ffns.push_back(
        dense_ffn("mlp", activation, config.positive("intermediate_size"), "intermediate_size"));
    draft.letters.push_back({'-', {"ffn", "mlp"}});
  }
}

namespace {
// BambaMixer's Mamba-2 (Bamba, and GraniteMoeHybrid, which builds BambaMixer from its own config):
// mamba_d_head "auto" (the classes' default) is mamba_expand · hidden_size / mamba_n_heads, which
// must divide evenly (transformers models/bamba/configuration_bamba.py @001f85b3,
// models/granitemoehybrid/configuration_granitemoehybrid.py @4f7e1d46).
Instance bamba_mamba_instance(const HfConfig& config, ArchitectureDraft& draft) {
  const std::uint64_t mamba_heads = config.positive("mamba_n_heads");
  const config::Node* written_head = config.node("mamba_d_head");
  std::uint64_t mamba_head_dim = 0;
  if (written_head == nullptr || written_head->kind == config::Node::Kind::null ||
      written_head->scalar == "auto") {
    const std::uint64_t inner = config.positive("mamba_expand") * draft.d_model;
    if (inner % mamba_heads != 0)
      throw UserError(config.where("mamba_n_heads"), "mamba_n_heads",
                      fmt::format("a divisor of mamba_expand · hidden_size ({})", inner),
                      std::to_string(mamba_heads));
    mamba_head_dim = inner / mamba_heads;
    draft.notes.push_back(fmt::format(
        "mamba_d_head 'auto': mamba_expand · hidden_size / mamba_n_heads = {}", mamba_head_dim));
  } else {
    mamba_head_dim = config.positive("mamba_d_head");
  }
  return {"mamba",
          {text_field("kind", "mamba2"), field("n_heads", mamba_heads, "mamba_n_heads"),
           field("head_dim", mamba_head_dim, "mamba_d_head"),
           field("state_size", config.positive("mamba_d_state"), "mamba_d_state"),
           field("n_groups", config.positive("mamba_n_groups"), "mamba_n_groups"),
           field("conv_kernel", config.positive("mamba_d_conv"), "mamba_d_conv")}};
}
}  // namespace

void map_bamba(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.recurrent_state_dtype = state_dtype(config, draft, "mamba_ssm_cache_dtype");
  draft.conv_state_dtype = draft.weights_dtype;
  draft.mixers.push_back(bamba_mamba_instance(config, draft));
  draft.mixers.push_back(attention_instance(config, "attn"));
  draft.layer_mixers.assign(draft.n_layers, "mamba");
  // attn_layer_indices absent or null: every layer is Mamba (BambaConfig.layers_block_type).
  const std::vector<std::uint64_t> attention_layers = config.has("attn_layer_indices")
                                                          ? config.counts("attn_layer_indices")
                                                          : std::vector<std::uint64_t>{};
  for (std::uint64_t index : attention_layers) {
    if (index >= draft.n_layers)
      throw UserError({config.file(), 0, 0}, "attn_layer_indices",
                      fmt::format("0-based indices below {}", draft.n_layers),
                      std::to_string(index));
    draft.layer_mixers[index] = "attn";
  }
  draft.ffns.push_back(
      dense_ffn("mlp", "swiglu", config.positive("intermediate_size"), "intermediate_size"));
  draft.layer_ffns.assign(draft.n_layers, "mlp");
}

// IBM Granite 4.0 (GraniteMoeHybridConfig, transformers models/granitemoehybrid/
// configuration_granitemoehybrid.py @4f7e1d46; GraniteMoeHybridDecoderLayer in
// modular_granitemoehybrid.py @403a3679): each layer is BambaMixer or GraniteMoeShared attention
// by layer_types (attribute_map: layers_block_type; absent: every layer Mamba), and every layer
// runs shared_mlp (shared_intermediate_size) with, when num_local_experts > 0, block_sparse_moe
// (experts of intermediate_size, top num_experts_per_tok) beside it. Attention has RoPE only
// with position_embedding_type "rope" (Granite 4.0 writes "nope").
void map_granite_moe_hybrid(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.recurrent_state_dtype = state_dtype(config, draft, "mamba_ssm_cache_dtype");
  draft.conv_state_dtype = draft.weights_dtype;
  const std::vector<std::string_view> allowed = {"mamba", "attention"};
  std::optional<std::vector<std::string>> types = read_layer_types(config, draft.n_layers, allowed);
  if (!types) types = read_layer_types(config, draft.n_layers, allowed, "layers_block_type");
  if (!types) {
    types = std::vector<std::string>(draft.n_layers, "mamba");
    draft.notes.push_back("no layer_types: every layer is Mamba (GraniteMoeHybridConfig)");
  }
  const bool any_mamba = std::count(types->begin(), types->end(), "mamba") > 0;
  const bool any_attention = std::count(types->begin(), types->end(), "attention") > 0;
  if (any_mamba) {
    Instance mamba = bamba_mamba_instance(config, draft);
    if (!config.optional_boolean("mamba_conv_bias").value_or(true))
      mamba.fields.push_back(text_field("conv_bias", "false", "mamba_conv_bias"));
    if (config.optional_boolean("mamba_proj_bias").value_or(false))
      mamba.fields.push_back(text_field("proj_bias", "true", "mamba_proj_bias"));
    draft.mixers.push_back(std::move(mamba));
  }
  if (any_attention) {
    Instance attn = attention_instance(config, "attn");
    if (config.optional_text("position_embedding_type").value_or("") != "rope")
      attn.fields.push_back(text_field("rope", "false", "position_embedding_type is not rope"));
    if (config.optional_boolean("attention_bias").value_or(false)) {
      attn.fields.push_back(text_field("qkv_bias", "true", "attention_bias"));
      attn.fields.push_back(text_field("o_bias", "true", "attention_bias"));
    }
    draft.mixers.push_back(std::move(attn));
  }
  for (const std::string& type : *types)
    draft.layer_mixers.push_back(type == "mamba" ? "mamba" : "attn");
  const std::string activation = activation_for(config.text("hidden_act"), true);
  const std::uint64_t shared = config.positive("shared_intermediate_size");
  const std::uint64_t experts = config.count("num_local_experts");
  if (experts > 0) {
    draft.ffns.push_back(moe_ffn("moe", activation, experts, config.positive("num_experts_per_tok"),
                                 config.positive("intermediate_size"), 1, shared));
    draft.notes.push_back(
        "FFN: the always-on shared_mlp (shared_intermediate_size) is the MoE's one shared expert");
  } else {
    draft.ffns.push_back(
        dense_ffn("mlp", activation, shared, "shared_intermediate_size: shared_mlp, no experts"));
  }
  draft.layer_ffns.assign(draft.n_layers, experts > 0 ? "moe" : "mlp");
}

void map_bailing_linear(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  draft.recurrent_state_dtype = state_dtype(config, draft, "linear_state_dtype");
  const std::uint64_t heads = config.positive("num_attention_heads");
  const std::uint64_t head_dim = config.optional_count("head_dim").value_or(draft.d_model / heads);
  draft.mixers.push_back(
      {"lightning",
       {text_field("kind", "lightning"), field("n_heads", heads, "num_attention_heads"),
        field("head_dim", head_dim, "head_dim"),
        text_field("slopes", "ling", "Bailing ALiBi slopes")}});
  draft.mixers.push_back(attention_instance(config, "attn"));
  // BailingMoeLinear: layer i is softmax attention when (i + 1) % layer_group_size == 0.
  const std::uint64_t group = config.positive("layer_group_size");
  for (std::size_t i = 0; i < draft.n_layers; ++i)
    draft.layer_mixers.push_back((i + 1) % group == 0 ? "attn" : "lightning");
  deepseek_ffns(config, draft, "num_experts_per_tok");
  if (config.has("moe_shared_expert_intermediate_size"))
    for (auto& f : draft.ffns.front().fields)
      if (f.key == "shared_expert_width")
        f.value = std::to_string(config.count("moe_shared_expert_intermediate_size"));
}

namespace {
// MiniMax layer types. transformers' MiniMaxConfig (models/minimax/configuration_minimax.py
// @008e5743): layer_types as written, else full attention at every even index. The released
// MiniMax-M1 config names its own class (model_type minimax_m1, MiniMax-AI/MiniMax-M1
// modeling_minimax_m1.py @4917af1b): attn_type_list, 0 lightning and 1 softmax, required.
std::vector<std::string> minimax_layer_types(const HfConfig& config, ArchitectureDraft& draft) {
  const std::uint64_t n = draft.n_layers;
  std::vector<std::string> types;
  if (config.model_type() == "minimax_m1") {
    const std::vector<std::uint64_t> list = config.counts("attn_type_list");
    if (list.size() != n)
      throw UserError(config.where("attn_type_list"), "attn_type_list",
                      fmt::format("one entry per layer ({}, num_hidden_layers)", n),
                      fmt::format("{} entries", list.size()));
    for (std::size_t i = 0; i < n; ++i) {
      if (list[i] > 1)
        throw UserError(config.where("attn_type_list"), fmt::format("attn_type_list[{}]", i),
                        "0 (lightning) or 1 (softmax)", std::to_string(list[i]));
      types.push_back(list[i] == 1 ? "full_attention" : "linear_attention");
    }
    draft.notes.push_back("layer types from attn_type_list (0: lightning, 1: softmax attention)");
    return types;
  }
  if (auto written = read_layer_types(config, n, {"full_attention", "linear_attention"})) {
    draft.notes.push_back("layer types from layer_types");
    return *written;
  }
  if (config.has("attn_type_list"))
    draft.notes.push_back("attn_type_list ignored: MiniMaxConfig does not read it");
  draft.notes.push_back(
      "no layer_types: MiniMaxConfig's default, full attention at every even layer index");
  for (std::size_t i = 0; i < n; ++i)
    types.push_back((i + 1) % 2 != 0 ? "full_attention" : "linear_attention");
  return types;
}
}  // namespace

void map_minimax(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  const std::uint64_t heads = config.positive("num_attention_heads");
  const bool written_dim = config.has("head_dim");
  const std::uint64_t head_dim =
      written_dim ? config.positive("head_dim") : config.positive("hidden_size") / heads;
  draft.mixers.push_back(
      {"lightning",
       {text_field("kind", "lightning"), field("n_heads", heads, "num_attention_heads"),
        field("head_dim", head_dim, written_dim ? "head_dim" : "hidden_size / num_attention_heads"),
        text_field("slopes", "minimax", "MiniMax-01 per-layer decay")}});
  Instance attention = attention_instance(config, "attn");
  // MiniMaxAttention is Mixtral's: config.sliding_window (default None) windows every softmax
  // layer.
  if (const auto window = config.optional_positive("sliding_window"))
    attention.fields.push_back(field("window", *window, "sliding_window"));
  draft.mixers.push_back(attention);
  for (const auto& type : minimax_layer_types(config, draft))
    draft.layer_mixers.push_back(type == "full_attention" ? "attn" : "lightning");
  // MiniMaxLightningAttention keeps its K·V state in the activations' dtype.
  draft.recurrent_state_dtype = draft.weights_dtype;
  draft.notes.push_back(fmt::format(
      "lightning state in the model dtype ({}), as MiniMaxLightningAttention allocates it",
      draft.weights_dtype));
  // Mixtral's sparse MoE: num_local_experts experts of intermediate_size, top num_experts_per_tok.
  std::uint64_t shared = 0;
  if (config.model_type() == "minimax_m1" &&
      config.optional_count("shared_intermediate_size").value_or(0) > 0) {
    shared = 1;  // MiniMaxM1MLP(config): a shared MLP of intermediate_size, gated by Linear(D, 1)
    draft.notes.push_back(
        "shared_intermediate_size > 0: MiniMax-M1 adds one shared MLP of intermediate_size");
  }
  const std::uint64_t width = config.positive("intermediate_size");
  draft.ffns.push_back(
      moe_ffn("moe", activation_for(config.optional_text("hidden_act").value_or("silu"), true),
              config.positive("num_local_experts"), config.positive("num_experts_per_tok"), width,
              shared, width));
  draft.layer_ffns.assign(draft.n_layers, "moe");
}

void map_deepseek_v4(const HfConfig& config, ArchitectureDraft& draft) {
  read_common(config, draft);
  // DeepSeek V4 (reference inference/model.py; see architectures/deepseek-v4-flash.yaml): one
  // shared key=value head, a window on every layer, compress_ratios per layer (0: none; 4: an
  // overlapping compressor and the indexer; any other m: a plain compressor). Entries past
  // num_hidden_layers belong to the MTP layers.
  if (const std::uint64_t kv_heads = config.positive("num_key_value_heads"); kv_heads != 1)
    throw UserError(config.where("num_key_value_heads"), "num_key_value_heads",
                    "1 (DeepSeek V4's one shared key=value head)", std::to_string(kv_heads));
  const std::vector<std::uint64_t> ratios = config.counts("compress_ratios");
  if (ratios.size() < draft.n_layers)
    throw UserError(config.where("compress_ratios"), "compress_ratios",
                    fmt::format("at least one entry per layer ({})", draft.n_layers),
                    fmt::format("{} entries", ratios.size()));
  const auto name_for = [](std::uint64_t ratio) {
    return ratio == 0     ? std::string("swa")
           : ratio == 4   ? std::string("csa")
           : ratio == 128 ? std::string("hca")
                          : fmt::format("c{}", ratio);
  };
  const auto instance = [&](std::uint64_t ratio) {
    Instance mixer{name_for(ratio),
                   {text_field("kind", "compressed_attn"),
                    field("n_heads", config.positive("num_attention_heads"), "num_attention_heads"),
                    field("head_dim", config.positive("head_dim"), "head_dim: the shared K=V head"),
                    field("q_lora_rank", config.positive("q_lora_rank")),
                    field("o_lora_rank", config.positive("o_lora_rank")),
                    field("o_groups", config.positive("o_groups")),
                    field("window", config.positive("sliding_window"), "sliding_window")}};
    if (ratio > 0) mixer.fields.push_back(field("compress_ratio", ratio, "compress_ratios[i]"));
    if (ratio == 4) {
      mixer.fields.push_back(text_field("compressor_overlap", "true", "coff 2 iff ratio 4"));
      mixer.fields.push_back(
          field("indexer_heads", config.positive("index_n_heads"), "index_n_heads"));
      mixer.fields.push_back(
          field("indexer_head_dim", config.positive("index_head_dim"), "index_head_dim"));
      mixer.fields.push_back(field("topk", config.positive("index_topk"), "index_topk"));
    }
    return mixer;
  };
  for (std::size_t i = 0; i < draft.n_layers; ++i) {
    const std::string name = name_for(ratios[i]);
    const bool known = std::any_of(draft.mixers.begin(), draft.mixers.end(),
                                   [&](const Instance& m) { return m.name == name; });
    if (!known) draft.mixers.push_back(instance(ratios[i]));
    draft.layer_mixers.push_back(name);
  }
  draft.notes.push_back(
      "compress_ratios: 0 sliding window only (swa), 4 compressed sparse attention with the "
      "indexer (csa), 128 heavily compressed attention (hca)");
  // hc_mult residual streams; 1 is the plain residual.
  if (const std::uint64_t streams = config.positive("hc_mult"); streams > 1)
    draft.hyper_connections = streams;
  draft.notes.push_back(
      "not modelled: hash routing of the first num_hash_layers layers, expert_dtype");
  deepseek_ffns(config, draft, "num_experts_per_tok");
  read_mtp(config, draft, "num_nextn_predict_layers");
  // The MTP layer's block has its own compress_ratios entry (after the main layers).
  if (draft.mtp) {
    const std::uint64_t ratio = ratios.size() > draft.n_layers ? ratios[draft.n_layers] : 0;
    const std::string name = name_for(ratio);
    if (std::none_of(draft.mixers.begin(), draft.mixers.end(),
                     [&](const Instance& m) { return m.name == name; }))
      draft.mixers.push_back(instance(ratio));
    draft.mtp->mixer = name;
  }
}

}  // namespace attnsim::import
