// Architecture loading: extends resolution, section readers and graph validation.
#include "graph/load.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "config/reader.h"
#include "core/paths.h"
#include "graph/compare.h"
#include "graph/pattern.h"
#include "import/importer.h"

namespace attnsim {

namespace fs = std::filesystem;

fs::path architectures_dir() {
  if (const char* overridden = std::getenv("ATTNSIM_ARCHITECTURES")) return overridden;
  return source_dir() / "architectures";
}

std::vector<fs::path> list_architecture_files() { return yaml_files_in(architectures_dir()); }

std::vector<std::string> registry_names() {
  std::vector<std::string> stems;
  for (const auto& file : list_architecture_files()) stems.push_back(file.stem().string());
  return stems;
}

namespace {

std::string display_path(const fs::path& file) {
  std::error_code error;
  const fs::path relative = fs::relative(file, fs::current_path(), error);
  if (!error && !relative.empty() && *relative.begin() != "..") return relative.string();
  return file.string();
}

// Whether `path` (already canonical) lies inside the canonical folder `folder`.
bool inside(const fs::path& path, const fs::path& folder) {
  const fs::path relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != ".." && !relative.is_absolute();
}

// `extends:` names a sibling file (`base.yaml`, found beside the file, else in the registry) or
// a registry name (`llama-3-8b`, found in architectures/). It may not be absolute or climb out
// with "..", and its real path (symbolic links resolved) must stay inside the file's folder or
// the registry: a link in the folder to a file elsewhere is refused.
fs::path resolve_parent(const config::Node& value, const fs::path& child) {
  const std::string text = config::as_string(value, "extends");
  const fs::path parent(text);
  const bool climbs =
      std::any_of(parent.begin(), parent.end(), [](const fs::path& part) { return part == ".."; });
  const bool is_file_name = parent.extension() == ".yaml";
  if (parent.is_absolute() || climbs || text.empty() || (!is_file_name && parent.has_parent_path()))
    throw UserError(value.where, "extends",
                    "a .yaml file name in the same folder or an architecture name",
                    fmt::format("'{}'", text), "extends may not leave the architecture's folder");
  const fs::path folder = child.parent_path().empty() ? fs::path(".") : child.parent_path();
  std::vector<fs::path> candidates;
  if (is_file_name) candidates.push_back(folder / parent);
  candidates.push_back(architectures_dir() / (is_file_name ? parent : fs::path(text + ".yaml")));
  for (const auto& candidate : candidates) {
    std::error_code error;
    if (!fs::exists(candidate, error)) continue;
    const fs::path real = fs::canonical(candidate, error);
    if (error)
      throw UserError(value.where, "extends", "a readable architecture file",
                      fmt::format("'{}' ({})", text, error.message()));
    const fs::path registry = fs::weakly_canonical(architectures_dir());
    if (!inside(real, fs::canonical(folder)) && !inside(real, registry))
      throw UserError(value.where, "extends",
                      "a file whose real path is inside the architecture's folder or the registry",
                      fmt::format("'{}', a link to {}", text, real.string()),
                      "extends may not leave the architecture's folder");
    return candidate;
  }
  throw UserError(
      value.where, "extends",
      is_file_name ? "an existing architecture file"
                   : "the name of a shipped architecture (or a sibling NAME.yaml)",
      fmt::format("'{}'", text),
      config::did_you_mean(is_file_name ? parent.stem().string() : text, registry_names()));
}

config::Node resolve_extends(const fs::path& file, std::vector<fs::path>& chain) {
  const fs::path canonical = fs::weakly_canonical(file);
  config::Node document = config::load_document(file, display_path(file));
  const config::Node* extends = document.find("extends");
  if (extends == nullptr || !document.is_map()) return document;
  const fs::path parent_file = resolve_parent(*extends, file);
  chain.push_back(canonical);
  if (std::find(chain.begin(), chain.end(), fs::weakly_canonical(parent_file)) != chain.end())
    throw UserError(extends->where, "extends", "a chain of files without cycles",
                    fmt::format("'{}' extends back into the chain", display_path(parent_file)));
  config::Node parent = resolve_extends(parent_file, chain);
  chain.pop_back();
  // The parent's published facts and the claims about it are about the parent.
  std::erase_if(parent.entries,
                [](const config::Entry& e) { return e.key == "expect" || e.key == "claims"; });
  std::erase_if(document.entries, [](const config::Entry& e) { return e.key == "extends"; });
  return config::merge_documents(parent, document);
}

bool has_key_path(const config::Node& document, std::string_view path) {
  const config::Node* node = &document;
  std::size_t start = 0;
  while (node != nullptr && start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    node = node->find(path.substr(start, dot - start));
    if (dot == std::string_view::npos) return node != nullptr;
    start = dot + 1;
  }
  return false;
}

// `source:` of a file. In the registry it must cite config: or references:; outside it (a
// user's own file) that is bookkeeping, and `uncited` is set instead of an error.
Provenance read_source(const config::Node& node, const config::Node& document, bool in_registry,
                       bool& uncited) {
  Provenance source;
  config::MapReader reader(node, "source");
  ErrorCollector errors;
  errors.attempt([&] { source.config = reader.optional_string("config").value_or(""); });
  errors.attempt([&] { source.model_type = reader.optional_string("model_type").value_or(""); });
  errors.attempt([&] { source.references = reader.optional_string_list("references"); });
  errors.attempt([&] { source.notes = reader.optional_string_list("notes"); });
  errors.attempt([&] { source.unverified = reader.optional_string_list("unverified"); });
  errors.attempt(
      [&] { source.config_differences = reader.optional_string_list("config_differences"); });
  errors.attempt([&] { reader.finish(); });
  const auto& comparable = graph_comparison_keys();
  for (const auto& key : source.config_differences)
    if (std::find(comparable.begin(), comparable.end(), key) == comparable.end())
      errors.add(UserError(reader.require("config_differences", "").where,
                           "source.config_differences", "keys that `attnsim diff` compares",
                           fmt::format("'{}'", key), config::did_you_mean(key, comparable)));
  if (source.config.empty() && source.references.empty()) {
    if (in_registry)
      errors.add(UserError(reader.node().where, "source",
                           "config: or references: naming where the numbers come from", "neither",
                           "cite the HF config.json, paper or model card"));
    else
      uncited = true;
  }
  for (const auto& path : source.unverified)
    if (!has_key_path(document, path))
      errors.add(UserError(reader.require("unverified", "").where, "source.unverified",
                           "key paths present in this file", fmt::format("'{}'", path)));
  errors.throw_if_any();
  return source;
}

// A count of residual streams (AltUp, hyper-connections): absent, or at least 2, since one stream
// is the plain residual the model has without the feature.
std::optional<std::uint64_t> optional_streams(config::MapReader& reader, const char* key,
                                              const char* hf_key, const char* feature) {
  const std::optional<std::uint64_t> streams = reader.optional_positive(key);
  if (streams && *streams < 2)
    throw UserError(reader.require(key, "").where, fmt::format("model.{}", key),
                    fmt::format("at least 2 streams ({}; 1 would be no {})", hf_key, feature),
                    std::to_string(*streams),
                    fmt::format("leave the key out for a model without {}", feature));
  return streams;
}

ModelDims read_dims(config::MapReader& root) {
  config::MapReader reader(root.require("model", "a map with d_model, vocab_size, n_layers"),
                           "model");
  ModelDims dims;
  ErrorCollector errors;  // each key on its own: every mistake of the map in one report
  errors.attempt([&] { dims.d_model = reader.required_positive("d_model"); });
  errors.attempt([&] { dims.vocab_size = reader.required_positive("vocab_size"); });
  errors.attempt([&] {
    dims.n_layers = reader.required_positive("n_layers");
    if (dims.n_layers > kMaxLayers)
      throw UserError(reader.require("n_layers", "").where, "model.n_layers",
                      fmt::format("at most {} layers", kMaxLayers), std::to_string(dims.n_layers),
                      "the largest published models have a few hundred layers");
  });
  errors.attempt([&] {
    reader.require("tied_embeddings", "true or false");
    dims.tied_embeddings = reader.optional_bool("tied_embeddings", false);
  });
  errors.attempt([&] { dims.max_context = reader.optional_positive("max_context"); });
  errors.attempt([&] {
    if (const auto norm = reader.optional_string("norm")) {
      if (*norm != "rmsnorm" && *norm != "layernorm")
        throw UserError(reader.require("norm", "").where, "model.norm", "rmsnorm or layernorm",
                        fmt::format("'{}'", *norm),
                        config::did_you_mean(*norm, {"rmsnorm", "layernorm"}));
      dims.norm = *norm == "layernorm" ? NormKind::layernorm : NormKind::rmsnorm;
    }
  });
  errors.attempt([&] { dims.learned_positions = reader.optional_positive("learned_positions"); });
  errors.attempt([&] { dims.parallel_blocks = reader.optional_bool("parallel_blocks", false); });
  errors.attempt([&] {
    if (const config::Node* ple = reader.get("per_layer_embeddings")) {
      config::MapReader table(*ple, "model.per_layer_embeddings");
      dims.per_layer_embeddings = PerLayerEmbeddings{table.required_positive("vocab_size"),
                                                     table.required_positive("width")};
      table.finish();
    }
  });
  errors.attempt([&] {
    dims.altup_inputs = optional_streams(reader, "altup_inputs", "altup_num_inputs", "AltUp");
  });
  errors.attempt([&] {
    dims.hyper_connections =
        optional_streams(reader, "hyper_connections", "hc_mult", "hyper-connections");
  });
  errors.attempt([&] { dims.laurel_rank = reader.optional_positive("laurel_rank"); });
  errors.attempt([&] { dims.meta_tokens = reader.optional_positive("meta_tokens"); });
  errors.attempt([&] { reader.finish(); });
  errors.throw_if_any();
  return dims;
}

CacheDTypes read_dtypes(config::MapReader& root) {
  config::MapReader reader(root.require("dtypes", "a map of dtypes"), "dtypes");
  CacheDTypes dtypes;
  ErrorCollector errors;
  errors.attempt([&] { dtypes.weights = reader.required_dtype("weights"); });
  errors.attempt([&] { dtypes.kv_cache = reader.optional_dtype("kv_cache"); });
  errors.attempt([&] { dtypes.recurrent_state = reader.optional_dtype("recurrent_state"); });
  errors.attempt([&] { dtypes.conv_state = reader.optional_dtype("conv_state"); });
  errors.attempt([&] { reader.finish(); });
  errors.throw_if_any();
  return dtypes;
}

void check_instance_name(const config::Entry& entry, const std::string& path) {
  if (entry.key == kNoneName)
    throw UserError(entry.key_where, path, "an instance name other than 'none'", "'none'",
                    "'none' marks an empty slot in layer patterns");
}

std::map<std::string, std::shared_ptr<const Mixer>> read_mixers(config::MapReader& root) {
  const config::Node& node = root.require("mixers", "a map of named mixer instances");
  config::MapReader section(node, "mixers");
  std::map<std::string, std::shared_ptr<const Mixer>> mixers;
  ErrorCollector errors;  // every instance's mistakes
  for (const auto& entry : node.entries) {
    section.declare(entry.key);
    errors.attempt([&] {
      check_instance_name(entry, section.child_path(entry.key));
      config::MapReader reader(entry.value, section.child_path(entry.key));
      mixers[entry.key] = make_mixer(reader);
    });
  }
  errors.throw_if_any();
  return mixers;
}

std::map<std::string, std::shared_ptr<const FfnSpec>> read_ffns(config::MapReader& root) {
  std::map<std::string, std::shared_ptr<const FfnSpec>> ffns;
  const config::Node* node = root.get("ffns");
  if (node == nullptr) return ffns;
  config::MapReader section(*node, "ffns");
  ErrorCollector errors;
  for (const auto& entry : node->entries) {
    section.declare(entry.key);
    errors.attempt([&] {
      check_instance_name(entry, section.child_path(entry.key));
      config::MapReader reader(entry.value, section.child_path(entry.key));
      ffns[entry.key] = std::make_shared<const FfnSpec>(read_ffn(reader));
    });
  }
  errors.throw_if_any();
  return ffns;
}

template <typename Instances>
std::shared_ptr<const typename Instances::mapped_type::element_type> find_instance(
    const Instances& instances, const std::string& name, const config::Node& where,
    const std::string& path, std::string_view section) {
  if (name == kNoneName) return nullptr;
  const auto found = instances.find(name);
  if (found != instances.end()) return found->second;
  std::vector<std::string> names;
  for (const auto& [known, instance] : instances) names.push_back(known);
  names.emplace_back(kNoneName);
  throw UserError(where.where, path, fmt::format("the name of an instance under {}:", section),
                  fmt::format("'{}'", name), config::did_you_mean(name, names));
}

// A layer reading an earlier layer's KV cache, as its override item wrote it.
struct KvSharing {
  std::size_t owner = 0;
  SharedKvWeights weights = SharedKvWeights::absent;
  SourceLocation where;  // of the item's kv_shared_from
  std::string path;      // "layers.overrides[i].kv_shared_from"
};

struct LayerOverride {
  std::vector<std::size_t> layers;
  std::optional<std::string> mixer;
  std::optional<std::string> ffn;
  std::optional<KvSharing> kv_shared;
  std::optional<std::size_t> weights_shared_from;
};

// An override's reference to another layer (kv_shared_from, weights_shared_from): a 0-based
// index within the model's layers.
std::optional<std::size_t> read_layer_reference(config::MapReader& reader, const std::string& key,
                                                std::uint64_t n_layers) {
  const auto index = reader.optional_count(key);
  if (!index) return std::nullopt;
  if (*index >= n_layers)
    throw UserError(reader.require(key, "").where, reader.child_path(key),
                    fmt::format("a 0-based layer index below model.n_layers = {}", n_layers),
                    std::to_string(*index));
  return static_cast<std::size_t>(*index);
}

std::vector<LayerOverride> read_overrides(const config::Node& node, std::uint64_t n_layers) {
  if (!node.is_sequence())
    throw UserError(node.where, "layers.overrides", "a list of {layers: [...], mixer/ffn: ...}",
                    node.describe());
  std::vector<LayerOverride> overrides;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    config::MapReader reader(node.items[i], fmt::format("layers.overrides[{}]", i));
    LayerOverride item;
    item.layers = read_layer_indices(reader.require("layers", "a list of 0-based layer indices"),
                                     reader.child_path("layers"), n_layers, 0);
    item.mixer = reader.optional_string("mixer");
    item.ffn = reader.optional_string("ffn");
    const auto projections = reader.optional_string("kv_projections");
    if (const auto shared = read_layer_reference(reader, "kv_shared_from", n_layers)) {
      KvSharing sharing{*shared, SharedKvWeights::absent,
                        reader.require("kv_shared_from", "").where,
                        reader.child_path("kv_shared_from")};
      if (projections && *projections != "none" && *projections != "unused")
        throw UserError(reader.require("kv_projections", "").where,
                        reader.child_path("kv_projections"), "none or unused",
                        fmt::format("'{}'", *projections),
                        "none: the layer has no k/v projections (YOCO); unused: the checkpoint "
                        "stores them but the layer never runs them (gemma-3n)");
      if (projections == "unused") sharing.weights = SharedKvWeights::unused;
      item.kv_shared = sharing;
    } else if (projections) {
      throw UserError(reader.require("kv_projections", "").where,
                      reader.child_path("kv_projections"),
                      "kv_projections only beside kv_shared_from", "no kv_shared_from",
                      "name the layer whose KV cache these layers read");
    }
    item.weights_shared_from = read_layer_reference(reader, "weights_shared_from", n_layers);
    reader.finish();
    overrides.push_back(item);
  }
  return overrides;
}

// `layers.loops`: how many times the physical stack of model.n_layers layers runs (a looped
// transformer, Nanbeige 4.2's num_loops); 1 when absent.
std::uint64_t read_loops(config::MapReader& reader, std::uint64_t n_layers) {
  const std::uint64_t loops = reader.optional_positive("loops").value_or(1);
  constexpr std::uint64_t kMaxLoops = 64;  // published looped models run 2 to 4
  if (loops > kMaxLoops || n_layers * loops > kMaxLayers)
    throw UserError(reader.require("loops", "").where, "layers.loops",
                    fmt::format("at most {} loops and {} layers in all", kMaxLoops, kMaxLayers),
                    std::to_string(loops));
  return loops;
}

// A layer that runs another's weights must point back to an earlier layer that owns them and
// has the same mixer and FFN instances.
void check_weight_sharing(const std::vector<Layer>& layers, const config::Node& layers_node) {
  for (const Layer& layer : layers) {
    if (!layer.weights_shared_from) continue;
    const Layer& owner = layers[*layer.weights_shared_from];
    if (owner.index < layer.index && !owner.weights_shared_from &&
        owner.mixer_name == layer.mixer_name && owner.ffn_name == layer.ffn_name)
      continue;
    throw UserError(layers_node.where, fmt::format("layers.overrides (layer {})", layer.index),
                    "weights_shared_from naming an earlier layer that owns its weights and has "
                    "the same mixer and FFN",
                    fmt::format("layer {} ({} + {}{})", owner.index,
                                owner.mixer_name.empty() ? "no mixer" : owner.mixer_name,
                                owner.ffn_name.empty() ? "no FFN" : owner.ffn_name,
                                owner.weights_shared_from ? ", itself sharing" : ""),
                    fmt::format("layer {} has {} + {}", layer.index,
                                layer.mixer_name.empty() ? "no mixer" : layer.mixer_name,
                                layer.ffn_name.empty() ? "no FFN" : layer.ffn_name));
  }
}

std::uint64_t kv_elements_per_token(const Mixer& mixer) {
  std::uint64_t elements = 0;
  for (const auto& term : mixer.cache_terms())
    if (term.role == CacheRole::kv) elements += term.elements_per_token;
  return elements;
}

// The longest span of tokens a mixer's KV terms keep (nullopt: the whole context).
std::optional<std::uint64_t> kv_span(const Mixer& mixer) {
  std::optional<std::uint64_t> span;
  for (const auto& term : mixer.cache_terms()) {
    if (term.role != CacheRole::kv || term.elements_per_token == 0) continue;
    if (!term.max_tokens || term.chunked) return std::nullopt;
    span = std::max(span.value_or(0), *term.max_tokens);
  }
  return span;
}

// Cross-layer KV reuse: each reading layer gets its mixer's reader form (no KV cache, no k/v
// projections) after checking that the layer it reads comes earlier, keeps a KV cache of its own
// and of the same kind, width and dtype, and keeps every token the reader looks back to.
void link_kv_sharing(Architecture& architecture,
                     const std::vector<std::optional<KvSharing>>& shared) {
  std::map<std::pair<std::string, SharedKvWeights>, std::shared_ptr<const Mixer>> readers;
  for (Layer& layer : architecture.layers) {
    const auto& sharing = shared[layer.index];
    if (!sharing) continue;
    const std::size_t from = sharing->owner;
    auto fail = [&](std::string expected, std::string found, std::string hint = "") {
      throw UserError(sharing->where, fmt::format("{} (layer {})", sharing->path, layer.index),
                      std::move(expected), std::move(found), std::move(hint));
    };
    if (from >= layer.index)
      fail(fmt::format("an earlier layer than {} (a layer reads the KV cache of a layer before it)",
                       layer.index),
           fmt::format("layer {}", from));
    if (!layer.mixer) fail("a layer with a mixer", fmt::format("layer {} has none", layer.index));
    const Layer& owner = architecture.layers[from];
    if (!owner.mixer) fail("a layer with a mixer", fmt::format("layer {} has none", from));
    if (shared[from])
      fail(fmt::format("a layer that keeps its own KV cache"),
           fmt::format("layer {}, which reads layer {}'s", from, shared[from]->owner),
           fmt::format("name layer {} instead", shared[from]->owner));
    const Mixer& reader = *layer.mixer;
    const Mixer& source = *owner.mixer;
    if (source.kind() != reader.kind())
      fail(fmt::format("a layer of kind {} (the cache layout must match)", reader.kind()),
           fmt::format("layer {} of kind {} ({})", from, source.kind(), owner.mixer_name));
    const std::uint64_t own = kv_elements_per_token(source);
    if (own == 0)
      fail("a layer with a KV cache",
           fmt::format("layer {} ({}) keeps none", from, owner.mixer_name));
    if (kv_elements_per_token(reader) != own)
      fail(fmt::format("a layer whose KV width matches {}'s ({} elements per token)",
                       layer.mixer_name, kv_elements_per_token(reader)),
           fmt::format("layer {} ({}): {} elements per token", from, owner.mixer_name, own));
    const auto source_span = kv_span(source), reader_span = kv_span(reader);
    if (source_span && (!reader_span || *reader_span > *source_span))
      fail(fmt::format(
               "a layer that keeps every token {} looks back to ({})", layer.mixer_name,
               reader_span ? fmt::format("a window of {}", *reader_span) : "the whole context"),
           fmt::format("layer {} ({}), which keeps the last {} tokens", from, owner.mixer_name,
                       *source_span));
    for (const CacheTerm& term : reader.cache_terms())
      for (const CacheTerm& kept : source.cache_terms())
        if (term.name == kept.name && term.dtype != kept.dtype)
          fail(fmt::format("a layer whose '{}' has {}'s dtype", term.name, layer.mixer_name),
               fmt::format("layer {} ({}) with another", from, owner.mixer_name));
    auto& variant = readers[{layer.mixer_name, sharing->weights}];
    if (!variant) {
      variant = reader.reading_shared_kv(sharing->weights);
      if (!variant)
        fail(
            "a mixer kind that can read another layer's KV cache (softmax_attn, diff_attn, "
            "parallel_hybrid)",
            fmt::format("{} ({})", reader.kind(), layer.mixer_name));
    }
    layer.mixer = variant;
    layer.kv_shared_from = from;
  }
}

void build_layers(config::MapReader& root, Architecture& architecture) {
  const std::uint64_t n_layers = architecture.dims.n_layers;
  const config::Node& node = root.require("layers", "a map describing the layer pattern");
  config::MapReader reader(node, "layers");
  LayerSlots slots;
  if (reader.has("pattern")) {
    slots = expand_letter_pattern(reader.require("pattern", "a string"),
                                  reader.require("letters", "a map from letter to mixer/ffn"),
                                  "layers", n_layers);
  } else {
    slots.mixers = expand_sequence(reader.require("mixer", "a layer pattern of mixer names"),
                                   "layers.mixer", n_layers);
    const config::Node* ffn = reader.get("ffn");
    slots.ffns = ffn ? expand_sequence(*ffn, "layers.ffn", n_layers)
                     : std::vector<std::string>(n_layers, std::string(kNoneName));
  }
  std::vector<std::optional<KvSharing>> shared(n_layers);
  std::vector<std::optional<std::size_t>> weights_from(n_layers);
  if (const config::Node* overrides = reader.get("overrides")) {
    for (const auto& item : read_overrides(*overrides, n_layers))
      for (std::size_t index : item.layers) {
        if (item.mixer) slots.mixers[index] = *item.mixer;
        if (item.ffn) slots.ffns[index] = *item.ffn;
        if (item.kv_shared) shared[index] = item.kv_shared;
        if (item.weights_shared_from) weights_from[index] = item.weights_shared_from;
      }
  }
  const std::uint64_t loops = read_loops(reader, n_layers);
  reader.declare("mixer");
  reader.declare("ffn");
  reader.declare("letters");
  reader.finish();
  for (std::size_t i = 0; i < n_layers; ++i) {
    Layer layer;
    layer.index = i;
    const std::string path = fmt::format("layers (layer {})", i);
    layer.mixer = find_instance(architecture.mixers, slots.mixers[i], node, path, "mixers");
    layer.ffn = find_instance(architecture.ffns, slots.ffns[i], node, path, "ffns");
    if (layer.mixer) layer.mixer_name = slots.mixers[i];
    if (layer.ffn) layer.ffn_name = slots.ffns[i];
    if (!layer.mixer && !layer.ffn)
      throw UserError(node.where, path, "a mixer, an FFN or both", "neither");
    layer.weights_shared_from = weights_from[i];
    architecture.layers.push_back(std::move(layer));
  }
  check_weight_sharing(architecture.layers, node);
  link_kv_sharing(architecture, shared);
  // Every later loop runs the physical stack again: the same weights, a cache of its own (KV
  // shared within a loop stays within that loop).
  for (std::uint64_t loop = 1; loop < loops; ++loop)
    for (std::size_t i = 0; i < n_layers; ++i) {
      Layer layer = architecture.layers[i];
      const std::size_t offset = loop * n_layers;
      layer.index = offset + i;
      layer.weights_shared_from = layer.weights_shared_from.value_or(i);
      if (layer.kv_shared_from) *layer.kv_shared_from += offset;
      architecture.layers.push_back(std::move(layer));
    }
}

std::optional<MtpModules> read_mtp(config::MapReader& root, const Architecture& architecture) {
  const config::Node* node = root.get("mtp");
  if (node == nullptr) return std::nullopt;
  config::MapReader reader(*node, "mtp");
  MtpModules mtp;
  mtp.modules = reader.required_positive("modules");
  constexpr std::uint64_t kMaxModules = 64;  // published models have 1 to 3
  if (mtp.modules > kMaxModules)
    throw UserError(reader.require("modules", "").where, "mtp.modules",
                    fmt::format("at most {} modules", kMaxModules), std::to_string(mtp.modules));
  Layer& block = mtp.block;
  block.mixer_name = reader.required_string("mixer");
  block.ffn_name = reader.required_string("ffn");
  block.mixer = find_instance(architecture.mixers, block.mixer_name, reader.require("mixer", ""),
                              "mtp.mixer", "mixers");
  block.ffn = find_instance(architecture.ffns, block.ffn_name, reader.require("ffn", ""), "mtp.ffn",
                            "ffns");
  if (!block.mixer || !block.ffn)
    throw UserError(node->where, "mtp", "a mixer and an FFN instance (the module's block)",
                    "'none'");
  reader.finish();
  return mtp;
}

// A layer that reuses a top-k selection reads the nearest earlier layer that makes one; both must
// select the same number of keys.
void link_selections(Architecture& architecture, const config::Node& layers_node) {
  std::optional<std::size_t> maker;
  for (auto& layer : architecture.layers) {
    const auto selection = layer.mixer ? layer.mixer->topk_selection() : std::nullopt;
    if (!selection) continue;
    if (selection->role == TopkSelection::Role::makes) {
      maker = layer.index;
      continue;
    }
    const std::string path = fmt::format("layers (layer {}, {})", layer.index, layer.mixer_name);
    if (!maker)
      throw UserError(layers_node.where, path,
                      "an earlier layer whose indexer makes the top-k selection this layer reuses",
                      "none", "the first DSA layer must run its own indexer");
    const std::uint64_t topk = architecture.layers[*maker].mixer->topk_selection()->topk;
    if (topk != selection->topk)
      throw UserError(layers_node.where, path,
                      fmt::format("the top-k of layer {} it reuses ({})", *maker, topk),
                      std::to_string(selection->topk));
    layer.selection_from = maker;
  }
}

// The dtypes: key that names a cache role's dtype.
std::string_view dtype_key(CacheRole role) {
  return role == CacheRole::kv                ? "kv_cache"
         : role == CacheRole::recurrent_state ? "recurrent_state"
                                              : "conv_state";
}

void check_cache_dtypes(const Architecture& architecture, const config::Node& dtypes_node) {
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    for (const auto& term : layer.mixer->cache_terms()) {
      if (!architecture.dtypes.for_role(term.role) && !term.dtype)
        throw UserError(
            dtypes_node.where, fmt::format("dtypes.{}", dtype_key(term.role)), "a dtype",
            "no such key",
            fmt::format("layer {} ({}) keeps a {}", layer.index, layer.mixer_name, term.name));
    }
  }
}

// The attention instance that stands in for linear/SSM layers in the all-attention baseline.
std::string resolve_baseline(config::MapReader& root, const Architecture& architecture) {
  std::set<std::string> attention_names;
  bool has_recurrent_layers = false;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    if (layer.mixer->full_attention_equivalent())
      attention_names.insert(layer.mixer_name);
    else
      has_recurrent_layers = true;
  }
  if (const auto declared = root.optional_string("baseline_attention")) {
    const auto found = architecture.mixers.find(*declared);
    if (found == architecture.mixers.end() || !found->second->full_attention_equivalent())
      throw UserError(root.require("baseline_attention", "").where, "baseline_attention",
                      "the name of an attention mixer instance", fmt::format("'{}'", *declared));
    return *declared;
  }
  if (!has_recurrent_layers || attention_names.empty()) return {};
  if (attention_names.size() == 1) return *attention_names.begin();
  throw UserError(root.node().where, "baseline_attention",
                  "baseline_attention: naming the attention instance that replaces linear/SSM "
                  "layers in the full-attention comparison",
                  fmt::format("{} attention instances", attention_names.size()),
                  fmt::format("one of: {}", fmt::join(attention_names, ", ")));
}

// model.meta_tokens are kept in every layer's KV: a model without a layer that keeps KV per
// token has nowhere to keep them.
void check_meta_tokens(config::MapReader& root, const Architecture& architecture) {
  if (!architecture.dims.meta_tokens) return;
  for (const Layer& layer : architecture.layers)
    if (layer.mixer)
      for (const CacheTerm& term : layer.mixer->cache_terms())
        if (term.elements_per_token > 0) return;
  config::MapReader model(root.require("model", ""), "model");
  throw UserError(model.require("meta_tokens", "").where, "model.meta_tokens",
                  "a model with a layer that keeps KV per token (attention)",
                  fmt::format("{} meta tokens and no such layer", *architecture.dims.meta_tokens),
                  "meta tokens are kept in the attention layers' KV; leave the key out");
}

// unknown_params: [{part: ..., reason: ...}]: parts of the model the file cannot size.
std::vector<UnknownParams> read_unknown_params(config::MapReader& root) {
  std::vector<UnknownParams> parts;
  const config::Node* node = root.get("unknown_params");
  if (node == nullptr) return parts;
  if (!node->is_sequence() || node->items.empty())
    throw UserError(node->where, "unknown_params",
                    "a list of {part: ..., reason: ...} naming what the file cannot size",
                    node->describe());
  ErrorCollector errors;
  for (std::size_t i = 0; i < node->items.size(); ++i)
    errors.attempt([&] {
      config::MapReader reader(node->items[i], fmt::format("unknown_params[{}]", i));
      UnknownParams part;
      part.part = reader.required_string("part");
      part.reason = reader.required_string("reason");
      reader.finish();
      parts.push_back(std::move(part));
    });
  errors.throw_if_any();
  return parts;
}

Expectations read_expect(config::MapReader& root) {
  Expectations expect;
  const config::Node* node = root.get("expect");
  if (node == nullptr) return expect;
  config::MapReader reader(*node, "expect");
  if (const config::Node* layers = reader.get("layers")) {
    config::MapReader counts(*layers, "expect.layers");
    for (const auto& entry : layers->entries)
      expect.layer_counts[entry.key] = counts.optional_count(entry.key).value_or(0);
  }
  expect.kv_bytes_per_token = reader.optional_positive("kv_bytes_per_token");
  expect.params_total = reader.optional_positive("params_total");
  expect.params_active = reader.optional_positive("params_active");
  if (const config::Node* node = reader.get("kv_gib_per_sequence")) {
    config::MapReader figure(*node, "expect.kv_gib_per_sequence");
    Expectations::KvPerSequence kv;
    kv.context = figure.required_positive("context");
    kv.gib = figure.required_number("gib");
    const std::string& written = figure.require("gib", "a number").scalar;
    const std::size_t point = written.find('.');
    kv.decimals = point == std::string::npos ? 0 : static_cast<int>(written.size() - point - 1);
    figure.finish();
    expect.kv_gib_per_sequence = kv;
  }
  expect.sources = reader.optional_string_list("sources");
  reader.finish();
  return expect;
}
std::vector<Claim> read_claims(config::MapReader& root) {
  std::vector<Claim> claims;
  const config::Node* node = root.get("claims");
  if (node == nullptr) return claims;
  if (!node->is_sequence())
    throw UserError(node->where, "claims", "a list of {says, source, quantity, value}",
                    node->describe());
  for (std::size_t i = 0; i < node->items.size(); ++i) {
    config::MapReader reader(node->items[i], fmt::format("claims[{}]", i));
    claims.push_back(read_claim(reader, std::nullopt));
  }
  return claims;
}

bool in_registry(const std::string& file) {
  std::error_code error;
  const fs::path real = fs::weakly_canonical(fs::path(file), error);
  return !error && inside(real, fs::weakly_canonical(architectures_dir(), error));
}

// A window or local chunk longer than max_context never caps anything: the layer keeps every
// token like full attention, which is almost always a typo (1,000,000 for 1,000). A shipped file
// must not have one; a user's file gets a warning (a deliberate what-if stays possible).
void check_spans_within_max_context(config::MapReader& root, Architecture& architecture) {
  const auto& max_context = architecture.dims.max_context;
  if (!max_context) return;
  std::set<std::string> seen;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer || !seen.insert(layer.mixer_name).second) continue;
    for (const auto& term : layer.mixer->cache_terms()) {
      if (!term.max_tokens || *term.max_tokens <= *max_context) continue;
      const std::string what = term.chunked ? "local chunk" : "window";
      const std::string path = fmt::format("mixers.{}", layer.mixer_name);
      const std::string found =
          fmt::format("a {} of {} tokens ({})", what, *term.max_tokens, term.name);
      const std::string hint = fmt::format(
          "model.max_context is {}: the layer would keep every token, as full attention",
          *max_context);
      if (in_registry(architecture.file))
        throw UserError(root.require("mixers", "").where, path,
                        fmt::format("a {} of at most max_context ({})", what, *max_context), found,
                        hint);
      architecture.warnings.push_back(
          fmt::format("{}: {}: {} is longer than model.max_context {}; {}", architecture.file, path,
                      found, *max_context, hint.substr(hint.find(':') + 2)));
    }
  }
}

// display_name, family, params_label and source: required in the registry; a file elsewhere (a
// user's hypothetical model) may leave them out, with one warning naming what was filled in.
void read_bookkeeping(config::MapReader& root, const config::Node& document,
                      Architecture& architecture, ErrorCollector& errors) {
  const bool registry = in_registry(architecture.file);
  std::vector<std::string> missing;
  const auto text = [&](std::string_view key, std::string& value, const std::string& fallback) {
    errors.attempt([&] {
      if (registry || root.has(key))
        value = root.required_string(key);
      else {
        root.declare(key);
        value = fallback;
        missing.push_back(fmt::format("{} ('{}')", key, fallback));
      }
    });
  };
  text("display_name", architecture.display_name, architecture.name);
  text("family", architecture.family, architecture.name);
  text("params_label", architecture.params_label, "");
  errors.attempt([&] {
    bool uncited = false;
    if (const config::Node* source = registry ? &root.require("source",
                                                              "a map saying where the "
                                                              "numbers come from")
                                              : root.get("source"))
      architecture.source = read_source(*source, document, registry, uncited);
    else
      uncited = true;
    if (uncited) missing.emplace_back("source (no config: or references:)");
  });
  if (!missing.empty())
    architecture.warnings.push_back(
        fmt::format("{}: no {}: the registry's bookkeeping keys, optional outside architectures/",
                    architecture.file, fmt::join(missing, ", ")));
}
}  // namespace

Claim read_claim(config::MapReader& reader, const std::optional<std::string>& file_source) {
  const auto& quantities = claim_quantities();
  Claim claim;
  claim.says = reader.required_string("says");
  // A claims file is one source; its claims do not restate it (an unknown key if they do).
  claim.source = file_source ? *file_source : reader.required_string("source");
  claim.quantity = reader.required_string("quantity");
  const bool by_kind = claim.quantity.starts_with("layers:") && claim.quantity.size() > 7;
  if (!by_kind &&
      std::find(quantities.begin(), quantities.end(), claim.quantity) == quantities.end())
    throw UserError(reader.require("quantity", "").where, reader.child_path("quantity"),
                    fmt::format("one of {}", fmt::join(quantities, ", ")),
                    fmt::format("'{}'", claim.quantity),
                    config::did_you_mean(claim.quantity, quantities));
  const auto value = reader.optional_number("value");
  if (!value)
    throw UserError(reader.node().where, reader.child_path("value"),
                    "the stated value, a number (fractions as 0.88)", "no such key");
  claim.value = *value;
  claim.context = reader.optional_positive("context");
  if ((claim.quantity == "kv_saving") != claim.context.has_value())
    throw UserError(reader.node().where, reader.child_path("context"),
                    claim.quantity == "kv_saving" ? "the context the saving is stated at"
                                                  : "no context (only kv_saving takes one)",
                    claim.context ? std::to_string(*claim.context) : "no such key");
  claim.tolerance = reader.optional_number("tolerance");
  if (claim.tolerance && !(*claim.tolerance >= 0.0))
    throw UserError(reader.require("tolerance", "").where, reader.child_path("tolerance"),
                    "a number ≥ 0 in the quantity's unit", std::to_string(*claim.tolerance));
  reader.finish();
  return claim;
}

const std::vector<std::string>& claim_quantities() {
  static const std::vector<std::string> quantities = {
      "layers",  "layers:KIND", "attention_fraction", "kv_saving",    "kv_bytes_per_token",
      "experts", "top_k",       "shared_experts",     "params_total", "params_active"};
  return quantities;
}

fs::path resolve_architecture(const std::string& name_or_path) {
  // A stem may contain dots ("deepseek-v3.2"): only a .yaml/.json ending or a folder makes a path.
  const fs::path as_path(name_or_path);
  const bool is_path =
      as_path.has_parent_path() || as_path.extension() == ".yaml" || as_path.extension() == ".json";
  if (is_path) return as_path;
  const fs::path shipped = architectures_dir() / (name_or_path + ".yaml");
  if (fs::exists(shipped)) return shipped;
  if (fs::is_directory(as_path)) return as_path;  // a snapshot folder in the working directory
  throw UserError(
      {}, "architecture",
      "a shipped architecture name, a .yaml file, a config.json or a snapshot folder",
      fmt::format("'{}'", name_or_path),
      config::did_you_mean(name_or_path, registry_names()) + "; `attnsim list` shows every name");
}

config::Node load_resolved_document(const fs::path& file) {
  if (file.extension() == ".json" || fs::is_directory(file)) {
    // A Hugging Face config.json, or a snapshot folder holding one, is accepted wherever an
    // architecture file is.
    return config::parse_document(import::import_hf(file.string()),
                                  display_path(import::hf_config_file(file)) + " (imported)");
  }
  std::vector<fs::path> chain;
  return resolve_extends(file, chain);
}

Architecture build_architecture(const config::Node& document, const std::string& name,
                                const std::string& file) {
  config::MapReader root(document, "");
  Architecture architecture;
  architecture.name = name;
  architecture.file = file;
  // Independent sections are read one by one and their mistakes gathered, so that a file with
  // several reports all of them in one run; the layer graph needs the sections it is built from.
  ErrorCollector errors;
  read_bookkeeping(root, document, architecture, errors);
  const bool dims_read = errors.attempt([&] { architecture.dims = read_dims(root); });
  const bool dtypes_read = errors.attempt([&] { architecture.dtypes = read_dtypes(root); });
  const bool mixers_read = errors.attempt([&] { architecture.mixers = read_mixers(root); });
  const bool ffns_read = errors.attempt([&] { architecture.ffns = read_ffns(root); });
  if (dims_read && mixers_read && ffns_read &&
      errors.attempt([&] { build_layers(root, architecture); })) {
    errors.attempt([&] { link_selections(architecture, root.require("layers", "")); });
    if (dtypes_read)
      errors.attempt([&] { check_cache_dtypes(architecture, root.require("dtypes", "")); });
    errors.attempt([&] { architecture.mtp = read_mtp(root, architecture); });
    errors.attempt([&] { architecture.baseline_attention = resolve_baseline(root, architecture); });
    errors.attempt([&] { check_spans_within_max_context(root, architecture); });
    errors.attempt([&] { check_meta_tokens(root, architecture); });
  } else {
    for (const auto key : {"layers", "mtp", "baseline_attention"}) root.declare(key);
  }
  errors.attempt([&] { architecture.unknown_params = read_unknown_params(root); });
  errors.attempt([&] { architecture.expect = read_expect(root); });
  errors.attempt([&] { architecture.claims = read_claims(root); });
  // A published total cannot be checked against a count that leaves a part out.
  if (!architecture.unknown_params.empty() && architecture.expect.params_total)
    errors.add(UserError(root.require("expect", "").where, "expect.params_total",
                         "no exact parameter total while unknown_params: lists a part",
                         std::to_string(*architecture.expect.params_total),
                         "the count is only a lower bound; cite the figure in notes instead"));
  errors.attempt([&] { root.finish(); });
  errors.throw_if_any();
  return architecture;
}

Architecture load_architecture_file(const fs::path& file) {
  return build_architecture(load_resolved_document(file), import::model_name(file),
                            display_path(file));
}

Architecture load_architecture(const std::string& name_or_path) {
  return load_architecture_file(resolve_architecture(name_or_path));
}

std::map<std::string, std::uint64_t> count_layer_kinds(const Architecture& architecture) {
  std::map<std::string, std::uint64_t> counts;
  for (const auto& layer : architecture.layers)
    if (layer.mixer) ++counts[layer.mixer->layer_kind()];
  return counts;
}

}  // namespace attnsim
