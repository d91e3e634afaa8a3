// Transformers' parameter names of an architecture: each layer's mixer and FFN name their tensors
// inside their module (Mixer::weight_tensors, ffn_tensors); this file adds the module and layer
// prefixes, the norms and embeddings, and each family's own names, as the modeling files of
// transformers 5.17 (models/<type>/modeling_<type>.py) build them.
#include "import/hf_tensor_names.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/count.h"
#include "ffn/ffn_cost.h"

namespace attnsim::import {

namespace {
// How one family names what the Llama layout calls model.embed_tokens, model.layers.*.self_attn,
// mlp, the layer norms and model.norm. `renames` replace a leading part of a name inside a layer
// (after "model.layers.*."), first match wins; several parts may map to one fused tensor.
struct Naming {
  std::string embeddings = "model.embed_tokens.weight";
  std::string positions = "model.embed_positions.weight";
  std::string layers = "model.layers.*.";
  std::string final_norm = "model.norm";
  std::map<std::string, std::string, std::less<>> mixer_modules = {
      {"gated_deltanet", "linear_attn"}, {"mamba2", "mamba"}, {"mamba1", "mamba"}};
  std::string default_mixer_module = "self_attn";
  std::string ffn_module = "mlp";
  std::vector<std::pair<std::string, std::string>> renames;
};

// Qwen2-MoE, Qwen3-Next and Qwen3.5 call their one shared expert shared_expert.
const std::vector<std::pair<std::string, std::string>> kQwenShared = {
    {"mlp.shared_experts.", "mlp.shared_expert."}};

Naming naming_of(const std::string& model_type) {
  Naming naming;
  if (model_type == "qwen3_next") {
    // Qwen3NextGatedDeltaNet fuses q, k, v, z into in_proj_qkvz and b, a into in_proj_ba.
    naming.renames = {{"linear_attn.in_proj_qkv.", "linear_attn.in_proj_qkvz."},
                      {"linear_attn.in_proj_z.", "linear_attn.in_proj_qkvz."},
                      {"linear_attn.in_proj_b.", "linear_attn.in_proj_ba."},
                      {"linear_attn.in_proj_a.", "linear_attn.in_proj_ba."}};
    naming.renames.insert(naming.renames.end(), kQwenShared.begin(), kQwenShared.end());
  } else if (model_type.starts_with("qwen3_5") || model_type == "qwen2_moe") {
    naming.renames = kQwenShared;
  } else if (model_type.starts_with("llama4")) {
    // Llama4TextMoe: feed_forward.router, feed_forward.shared_expert.
    naming.ffn_module = "feed_forward";
    naming.renames = {{"feed_forward.gate.", "feed_forward.router."},
                      {"feed_forward.shared_experts.", "feed_forward.shared_expert."}};
  } else if (model_type == "gpt_oss") {
    naming.renames = {{"mlp.gate.", "mlp.router."}};
  } else if (model_type == "bamba") {
    naming.ffn_module = "feed_forward";
    naming.final_norm = "model.final_layernorm";
    naming.renames = {{"post_attention_layernorm.", "pre_ff_layernorm."}};
  } else if (model_type == "nemotron_h") {
    // NemotronHBlock: one norm and one "mixer" (Mamba-2, attention, MLP or MoE) per layer.
    naming.embeddings = "model.embeddings.weight";
    naming.final_norm = "model.norm_f";
    naming.mixer_modules.clear();
    naming.default_mixer_module = "mixer";
    naming.ffn_module = "mixer";
    naming.renames = {{"input_layernorm.", "norm."}};
  } else if (model_type == "phi4flash") {
    // SambaYDecoderLayer (modeling_phi4flash.py of microsoft/Phi-4-mini-flash-reasoning): every
    // mixer is `attn` (Mamba, GMU and differential attention alike), SambaYMLP fuses gate and up
    // into fc1, the final norm is final_layernorm.
    naming.mixer_modules.clear();
    naming.default_mixer_module = "attn";
    naming.final_norm = "model.final_layernorm";
    naming.renames = {{"mlp.gate_proj.", "mlp.fc1."},
                      {"mlp.up_proj.", "mlp.fc1."},
                      {"mlp.down_proj.", "mlp.fc2."}};
  } else if (model_type == "gpt2") {
    // GPT2Block: ln_1, attn.c_attn (q, k, v fused), attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj.
    naming.embeddings = "transformer.wte.weight";
    naming.positions = "transformer.wpe.weight";
    naming.layers = "transformer.h.*.";
    naming.final_norm = "transformer.ln_f";
    naming.default_mixer_module = "attn";
    naming.renames = {{"attn.q_proj.", "attn.c_attn."}, {"attn.k_proj.", "attn.c_attn."},
                      {"attn.v_proj.", "attn.c_attn."}, {"attn.o_proj.", "attn.c_proj."},
                      {"mlp.up_proj.", "mlp.c_fc."},    {"mlp.down_proj.", "mlp.c_proj."},
                      {"input_layernorm.", "ln_1."},    {"post_attention_layernorm.", "ln_2."}};
  }
  return naming;
}

class Collector {
 public:
  explicit Collector(Naming naming) : naming_(std::move(naming)) {}

  void model(const std::string& name, std::uint64_t elements) {
    add(name, std::nullopt, elements, true, false);
  }
  // `local` is the name inside the layer ("self_attn.q_proj.weight").
  void layer(std::size_t index, std::string local, std::uint64_t elements, bool named = true,
             bool stored = false) {
    for (const auto& [from, to] : naming_.renames)
      if (local.starts_with(from)) {
        local = to + local.substr(from.size());
        break;
      }
    add(naming_.layers + local, index, elements, named, stored);
  }
  std::vector<NamedTensor> result() const {
    std::vector<NamedTensor> tensors;
    for (const std::string& name : order_) {
      NamedTensor tensor = sums_.at(name);
      tensor.layers = layer_sets_.at(name).size();
      tensors.push_back(std::move(tensor));
    }
    return tensors;
  }
  const Naming& naming() const { return naming_; }

 private:
  void add(const std::string& name, std::optional<std::size_t> layer, std::uint64_t elements,
           bool named, bool stored) {
    if (elements == 0) return;
    auto [it, inserted] = sums_.try_emplace(name, NamedTensor{name, 0, 0, named, stored});
    if (inserted) order_.push_back(name);
    it->second.elements = checked_add(it->second.elements, elements, "parameter count");
    if (layer)
      layer_sets_[name].insert(*layer);
    else
      layer_sets_[name];
  }

  Naming naming_;
  std::map<std::string, NamedTensor> sums_;
  std::map<std::string, std::set<std::size_t>> layer_sets_;
  std::vector<std::string> order_;
};

// A norm over `width` channels named `name`: RMSNorm a weight, LayerNorm a weight and a bias.
void add_norm(Collector& out, std::size_t layer, const std::string& name, const ModelDims& dims,
              std::uint64_t width) {
  out.layer(layer, name + ".weight", width);
  if (dims.norm == NormKind::layernorm) out.layer(layer, name + ".bias", width);
}

// Gemma 3n's per-layer modules around the blocks (Gemma3nTextDecoderLayer; cost/params.cpp
// gives their shapes): the per-layer embedding gate, AltUp and LAuReL.
void add_layer_extras(Collector& out, std::size_t i, const ModelDims& dims) {
  const Count d = dims.d_model;
  if (dims.hyper_connections) {  // DeepSeek V4's checkpoint names (reference model.py's Block)
    const Count n = *dims.hyper_connections;
    for (const char* block : {"hc_attn", "hc_ffn"}) {
      out.layer(i, fmt::format("{}_fn", block), (2 + n) * n * n * d);
      out.layer(i, fmt::format("{}_base", block), (2 + n) * n);
      out.layer(i, fmt::format("{}_scale", block), 3);
    }
  }
  if (const auto& ple = dims.per_layer_embeddings) {
    out.layer(i, "per_layer_input_gate.weight", d * ple->width);
    out.layer(i, "per_layer_projection.weight", ple->width * d);
    add_norm(out, i, "post_per_layer_input_norm", dims, d);
  }
  if (dims.altup_inputs) {
    const Count k = *dims.altup_inputs;
    out.layer(i, "altup.correct_output_scale", d);
    out.layer(i, "altup.correction_coefs.weight", k * k);
    out.layer(i, "altup.prediction_coefs.weight", k * k * k);
    out.layer(i, "altup.modality_router.weight", d * k);
    add_norm(out, i, "altup.router_norm", dims, d);
  }
  if (dims.laurel_rank) {
    out.layer(i, "laurel.linear_left.weight", d * *dims.laurel_rank);
    out.layer(i, "laurel.linear_right.weight", *dims.laurel_rank * d);
    add_norm(out, i, "laurel.post_laurel_norm", dims, d);
  }
}

// One layer as LlamaDecoderLayer names it: input_layernorm, the mixer, the FFN's pre-norm
// post_attention_layernorm — or, where the mixer has a post-norm (Gemma 3), that one is
// post_attention_layernorm and the FFN has pre_ and post_feedforward_layernorm. A parallel block
// (Cohere 2) has one input_layernorm for both; a one-block layer (NemotronH) just its first norm.
void add_layer(Collector& out, const Layer& layer, const ModelDims& dims) {
  const std::size_t i = layer.index;
  const std::uint64_t d = dims.d_model;
  bool mixer_post_norm = false;
  add_norm(out, i, "input_layernorm", dims, d);
  if (layer.mixer) {
    const std::string kind(layer.mixer->kind());
    const auto module = out.naming().mixer_modules.find(kind);
    const std::string prefix =
        (module == out.naming().mixer_modules.end() ? out.naming().default_mixer_module
                                                    : module->second) +
        ".";
    for (const WeightTensor& tensor : layer.mixer->weight_tensors({d})) {
      if (tensor.count == 0) continue;  // a tensor this instance does not have
      if (tensor.component == kPostNorm) {
        mixer_post_norm = true;
        add_norm(out, i, "post_attention_layernorm", dims, tensor.count);
      } else if (tensor.named) {
        out.layer(i, prefix + tensor.name, tensor.count);
      } else {
        out.layer(i, layer.mixer->layer_kind() + "." + tensor.name, tensor.count, false);
      }
    }
  }
  add_layer_extras(out, i, dims);
  if (!layer.ffn) return;
  if (layer.mixer && !dims.parallel_blocks)
    add_norm(out, i, mixer_post_norm ? "pre_feedforward_layernorm" : "post_attention_layernorm",
             dims, d);
  const std::string prefix = out.naming().ffn_module + ".";
  for (const FfnTensor& tensor : ffn_tensors(*layer.ffn, d)) {
    if (tensor.name == std::string(kPostNorm) + ".weight")
      add_norm(out, i, "post_feedforward_layernorm", dims, tensor.count);
    else
      out.layer(i, prefix + tensor.name, tensor.count, true, tensor.stored);
  }
}
}  // namespace

std::vector<NamedTensor> transformers_tensors(const Architecture& architecture) {
  const ModelDims& dims = architecture.dims;
  Collector out(naming_of(architecture.source.model_type));
  const std::uint64_t table = checked_mul(dims.vocab_size, dims.d_model, "embedding parameters");
  out.model(out.naming().embeddings, table);
  // HymbaModel.memory_tokens (num_memory_tokens × hidden_size).
  if (dims.meta_tokens)
    out.model("model.memory_tokens",
              checked_mul(*dims.meta_tokens, dims.d_model, "parameter count"));
  if (dims.learned_positions)
    out.model(out.naming().positions,
              checked_mul(*dims.learned_positions, dims.d_model, "embedding parameters"));
  // Gemma3nTextModel's per-layer embedding table, its projection and norm, and AltUp's stream
  // projections (K − 1 of each, indices folded to *).
  if (const auto& ple = dims.per_layer_embeddings) {
    const std::uint64_t all_layers = checked_mul(dims.n_layers, ple->width, "parameter count");
    out.model("model.embed_tokens_per_layer.weight",
              checked_mul(ple->vocab_size, all_layers, "embedding parameters"));
    out.model("model.per_layer_model_projection.weight",
              checked_mul(dims.d_model, all_layers, "parameter count"));
    out.model("model.per_layer_projection_norm.weight", ple->width);
    if (dims.norm == NormKind::layernorm)
      out.model("model.per_layer_projection_norm.bias", ple->width);
  }
  if (dims.altup_inputs) {
    const std::uint64_t square = checked_mul(dims.d_model, dims.d_model, "parameter count");
    out.model("model.altup_projections.*.weight",
              checked_mul(*dims.altup_inputs - 1, square, "parameter count"));
    out.model("model.altup_unembed_projections.*.weight",
              checked_mul(*dims.altup_inputs - 1, square, "parameter count"));
  }
  if (dims.hyper_connections) {  // reference model.py's Transformer.hc_head_*
    const Count n = *dims.hyper_connections;
    out.model("hc_head_fn", n * n * dims.d_model);
    out.model("hc_head_base", n);
    out.model("hc_head_scale", 1);
  }
  for (const Layer& layer : architecture.layers)
    if (!layer.weights_shared_from) add_layer(out, layer, dims);
  out.model(out.naming().final_norm + ".weight", dims.d_model);
  if (dims.norm == NormKind::layernorm) out.model(out.naming().final_norm + ".bias", dims.d_model);
  if (!dims.tied_embeddings) out.model("lm_head.weight", table);
  return out.result();
}

bool names_checked(const std::string& model_type) {
  static const std::set<std::string, std::less<>> checked = {
      "bamba",         "deepseek_v3", "deepseek_v32", "gemma3",      "gemma3_text", "glm4_moe",
      "glm_moe_dsa",   "gpt2",        "gpt_oss",      "kimi_linear", "llama",       "llama4",
      "mimo_v2_flash", "minimax_m2",  "mistral3",     "nemotron_h",  "qwen3",       "qwen3_5",
      "qwen3_5_moe",   "qwen3_moe",   "qwen3_next",   "smollm3"};
  return checked.contains(model_type);
}

}  // namespace attnsim::import
