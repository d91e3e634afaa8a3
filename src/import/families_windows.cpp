// Which layers of a softmax-attention family slide, read the way each family's transformers
// configuration class reads it: an explicit `layer_types` first, else the class's own derivation
// (Gemma 3's sliding_window_pattern, Qwen's use_sliding_window + max_window_layers, SmolLM3's
// NoPE layers), with the class's defaults for absent keys.
#include <fmt/format.h>

#include <algorithm>

#include "import/families.h"

namespace attnsim::import {

namespace {
// transformers at 008e574391258935f3ecc3035c882e73bbcac419 (src/transformers/models/<m>/).
constexpr std::string_view kTransformers = "transformers @008e5743";

bool flag(const HfConfig& config, std::string_view key) {
  return config.optional_boolean(key).value_or(false);
}
}  // namespace

std::optional<std::vector<std::string>> read_layer_types(
    const HfConfig& config, std::uint64_t n_layers, const std::vector<std::string_view>& allowed,
    std::string_view key) {
  if (!config.has(key)) return std::nullopt;
  std::vector<std::string> types = config.texts(key);
  // layer_type_validation (configuration_utils.py): one entry per layer, each a known type.
  if (types.size() != n_layers)
    throw UserError(config.where(key), std::string(key),
                    fmt::format("one entry per layer ({}, num_hidden_layers)", n_layers),
                    fmt::format("{} entries", types.size()));
  for (std::size_t i = 0; i < types.size(); ++i)
    if (std::find(allowed.begin(), allowed.end(), types[i]) == allowed.end())
      throw UserError(config.where(key), fmt::format("{}[{}]", key, i),
                      fmt::format("one of: {}", fmt::join(allowed, ", ")),
                      fmt::format("'{}'", types[i]));
  return types;
}

SlidingLayout sliding_layout(const HfConfig& config, std::uint64_t n_layers,
                             const std::vector<bool>& nope) {
  SlidingLayout layout;
  layout.sliding.assign(n_layers, false);
  const std::string& type = config.text_model_type();
  const auto written = [&]() {
    return read_layer_types(config, n_layers, {"full_attention", "sliding_attention"});
  };
  const auto from_types = [&](const std::vector<std::string>& types) {
    for (std::size_t i = 0; i < n_layers; ++i) layout.sliding[i] = types[i] == "sliding_attention";
  };
  if (type == "llama") {
    // LlamaConfig has no sliding window: every layer attends to the whole context.
    if (config.has("sliding_window"))
      layout.notes.push_back("sliding_window ignored: LlamaConfig has no sliding-window attention");
  } else if (type == "mistral") {
    // MistralConfig: sliding_window (default 4096; null: none) on every layer; layer_types is
    // not read (a warning points to Ministral).
    layout.window = config.optional_positive("sliding_window");
    layout.sliding.assign(n_layers, layout.window.has_value());
    if (config.has("layer_types"))
      layout.notes.push_back("layer_types ignored: MistralConfig does not read it");
  } else if (type == "qwen2" || type == "qwen3" || type == "qwen3_moe") {
    // Qwen2Config / Qwen3Config / Qwen3MoeConfig: sliding_window counts only when
    // use_sliding_window (default false). Qwen2/Qwen3: layer_types, else layer i slides when
    // i >= max_window_layers (default 28). Qwen3-MoE has no layer_types: every layer slides.
    if (flag(config, "use_sliding_window"))
      layout.window = config.optional_positive("sliding_window");
    if (type == "qwen3_moe") {
      layout.sliding.assign(n_layers, layout.window.has_value());
    } else if (const auto types = written()) {
      from_types(*types);
      layout.notes.push_back("per-layer windows from layer_types");
    } else if (layout.window) {
      const std::uint64_t first = config.count("max_window_layers");
      for (std::size_t i = first; i < n_layers; ++i) layout.sliding[i] = true;
      layout.notes.push_back(fmt::format(
          "layer i slides when i >= max_window_layers ({}) with use_sliding_window, as {} "
          "models/{}/configuration_{}.py derives layer_types",
          first, kTransformers, type, type));
    }
  } else if (type == "smollm3") {
    // SmolLM3Config: layer_types, else a layer slides when use_sliding_window, sliding_window
    // is set and the layer is NoPE (no_rope_layers[i] == 0).
    if (const auto types = written()) {
      from_types(*types);
    } else if (flag(config, "use_sliding_window") && config.has("sliding_window")) {
      for (std::size_t i = 0; i < n_layers; ++i) layout.sliding[i] = nope[i];
    }
    if (std::find(layout.sliding.begin(), layout.sliding.end(), true) != layout.sliding.end())
      layout.window = config.positive("sliding_window");
  } else {
    // Families whose configuration class was not checked: a window on every layer when the
    // config sets sliding_window (and does not turn it off with use_sliding_window: false).
    if (config.optional_boolean("use_sliding_window").value_or(true))
      layout.window = config.optional_positive("sliding_window");
    layout.sliding.assign(n_layers, layout.window.has_value());
  }
  const bool any =
      std::find(layout.sliding.begin(), layout.sliding.end(), true) != layout.sliding.end();
  if (any && !layout.window) {
    // The attention layers take sliding_window only for sliding_attention layers, and it is
    // None here: transformers runs them over the whole context, and so does attnsim.
    layout.sliding.assign(n_layers, false);
    layout.notes.push_back(
        "layer_types marks sliding_attention layers but no window is in effect (use_sliding_window "
        "false or sliding_window null): they attend over the whole context, as in transformers");
  }
  return layout;
}

std::vector<bool> smollm3_nope_layers(const HfConfig& config, std::uint64_t n_layers) {
  std::vector<bool> nope(n_layers, false);
  if (config.has("no_rope_layers")) {
    // no_rope_layers[i] == 0 marks a NoPE layer (SmolLM3Config).
    const auto uses_rope = config.counts("no_rope_layers");
    if (uses_rope.size() < n_layers)
      throw UserError(config.where("no_rope_layers"), "no_rope_layers",
                      fmt::format("at least one entry per layer ({})", n_layers),
                      fmt::format("{} entries", uses_rope.size()));
    for (std::size_t i = 0; i < n_layers; ++i) nope[i] = uses_rope[i] == 0;
  } else if (config.text_model_type() == "smollm3") {
    // SmolLM3Config default: a NoPE layer every no_rope_layer_interval (4) layers.
    const std::uint64_t interval = config.positive("no_rope_layer_interval");
    for (std::size_t i = 0; i < n_layers; ++i) nope[i] = (i + 1) % interval == 0;
  }
  return nope;
}

}  // namespace attnsim::import
