// Reading engine profiles through the key-tracking config readers (unknown keys rejected).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "config/document.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/paths.h"
#include "cost/engine.h"
#include "mixers/mixer.h"

namespace attnsim {

namespace fs = std::filesystem;

namespace {
fs::path engines_dir() { return source_dir() / "configs" / "engines"; }

CacheDTypeOverrides read_dtypes(const config::Node& node, const std::string& path) {
  config::MapReader reader(node, path);
  CacheDTypeOverrides dtypes{reader.optional_dtype("kv_cache"),
                             reader.optional_dtype("recurrent_state"),
                             reader.optional_dtype("conv_state")};
  reader.finish();
  return dtypes;
}

// A map keyed by mixer kind; each key must name a registered kind.
void check_kind(const config::Entry& entry, const std::string& path) {
  const auto kinds = mixer_kind_names();
  if (std::find(kinds.begin(), kinds.end(), entry.key) == kinds.end())
    throw UserError(entry.key_where, path + "." + entry.key, "a mixer kind",
                    fmt::format("'{}'", entry.key), config::did_you_mean(entry.key, kinds));
}

std::map<std::string, CacheDTypeOverrides> read_forced_dtypes(config::MapReader& parent) {
  std::map<std::string, CacheDTypeOverrides> forced;
  const config::Node* node = parent.get("forced_dtypes_by_kind");
  if (!node) return forced;
  const std::string path = parent.child_path("forced_dtypes_by_kind");
  config::MapReader reader(*node, path);
  for (const auto& entry : node->entries) {
    check_kind(entry, path);
    reader.declare(entry.key);
    forced[entry.key] = read_dtypes(entry.value, reader.child_path(entry.key));
  }
  reader.finish();
  return forced;
}

std::map<std::string, std::uint64_t> read_blocks_by_kind(config::MapReader& parent) {
  std::map<std::string, std::uint64_t> blocks;
  const config::Node* node = parent.get("block_tokens_by_kind");
  if (!node) return blocks;
  const std::string path = parent.child_path("block_tokens_by_kind");
  config::MapReader reader(*node, path);
  for (const auto& entry : node->entries) {
    check_kind(entry, path);
    blocks[entry.key] = reader.required_positive(entry.key);
  }
  reader.finish();
  return blocks;
}

// `block_tokens_by_family`: family name → tokens (Architecture::family, not checked against the
// registry: a profile may name a family no shipped model has yet).
std::map<std::string, std::uint64_t> read_blocks_by_family(config::MapReader& parent) {
  std::map<std::string, std::uint64_t> blocks;
  const config::Node* node = parent.get("block_tokens_by_family");
  if (!node) return blocks;
  config::MapReader reader(*node, parent.child_path("block_tokens_by_family"));
  for (const auto& entry : node->entries) blocks[entry.key] = reader.required_positive(entry.key);
  reader.finish();
  return blocks;
}

// `hybrid_page_align_tokens_by_head_dim`: head size → alignment in tokens.
// A map keyed by attention head size (`hybrid_page_align_tokens_by_head_dim`,
// `refused_block_tokens_by_head_dim`): {HEAD: TOKENS}, with where each entry was written.
std::map<std::uint64_t, BlockRefusal> read_by_head_dim(config::MapReader& parent, const char* key) {
  std::map<std::uint64_t, BlockRefusal> out;
  const config::Node* node = parent.get(key);
  if (!node) return out;
  const std::string path = parent.child_path(key);
  config::MapReader reader(*node, path);
  for (const auto& entry : node->entries) {
    std::uint64_t head_dim = 0;
    const char* end = entry.key.data() + entry.key.size();
    const auto parsed = std::from_chars(entry.key.data(), end, head_dim);
    if (parsed.ec != std::errc() || parsed.ptr != end || head_dim == 0)
      throw UserError(entry.key_where, path + "." + entry.key, "a head size (a positive integer)",
                      fmt::format("'{}'", entry.key));
    out[head_dim] = {reader.required_positive(entry.key), entry.key_where, path + "." + entry.key};
  }
  reader.finish();
  return out;
}

std::map<std::uint64_t, std::uint64_t> read_align_by_head_dim(config::MapReader& parent) {
  std::map<std::uint64_t, std::uint64_t> align;
  for (const auto& [head_dim, rule] :
       read_by_head_dim(parent, "hybrid_page_align_tokens_by_head_dim"))
    align[head_dim] = rule.block_tokens;
  return align;
}

// `gpu_defaults`: a list of {from_sm, below_sm, block_tokens, block_tokens_by_kind,
// block_tokens_by_family}; each needs from_sm and at least one rule.
std::vector<GpuDefaults> read_gpu_defaults(config::MapReader& parent) {
  std::vector<GpuDefaults> list;
  parent.for_each_item(
      "gpu_defaults", "a list of {from_sm, below_sm, block_tokens...} entries",
      [&](const config::Node& item, const std::string& item_path) {
        config::MapReader reader(item, item_path);
        GpuDefaults defaults;
        defaults.from_sm = reader.required_positive("from_sm");
        defaults.below_sm = reader.optional_positive("below_sm");
        if (defaults.below_sm && *defaults.below_sm <= defaults.from_sm)
          throw UserError(reader.require("below_sm", "").where, reader.child_path("below_sm"),
                          fmt::format("an SM above from_sm ({})", defaults.from_sm),
                          fmt::format("{}", *defaults.below_sm));
        defaults.block_tokens = reader.optional_positive("block_tokens");
        defaults.block_tokens_by_kind = read_blocks_by_kind(reader);
        defaults.block_tokens_by_family = read_blocks_by_family(reader);
        defaults.hybrid_page_align_tokens_by_head_dim = read_align_by_head_dim(reader);
        defaults.refused_block_tokens_by_head_dim =
            read_by_head_dim(reader, "refused_block_tokens_by_head_dim");
        if (!defaults.block_tokens && defaults.block_tokens_by_kind.empty() &&
            defaults.block_tokens_by_family.empty() &&
            defaults.hybrid_page_align_tokens_by_head_dim.empty() &&
            defaults.refused_block_tokens_by_head_dim.empty())
          throw UserError(item.where, reader.path(),
                          "at least one of block_tokens, block_tokens_by_kind, "
                          "block_tokens_by_family, hybrid_page_align_tokens_by_head_dim, "
                          "refused_block_tokens_by_head_dim",
                          "none");
        reader.finish();
        list.push_back(std::move(defaults));
      });
  return list;
}

// A list of registered mixer kinds under `key` (empty when absent).
std::vector<std::string> read_kind_list(config::MapReader& reader, const std::string& key) {
  std::vector<std::string> kinds = reader.optional_string_list(key);
  const auto known = mixer_kind_names();
  for (const auto& kind : kinds)
    if (std::find(known.begin(), known.end(), kind) == known.end())
      throw UserError(reader.require(key, "").where, reader.child_path(key), "mixer kinds",
                      fmt::format("'{}'", kind), config::did_you_mean(kind, known));
  return kinds;
}

// A list of dtype names under `key` (empty when absent).
std::vector<DType> read_dtype_list(config::MapReader& reader, const std::string& key) {
  std::vector<DType> dtypes;
  for (const auto& name : reader.optional_string_list(key)) {
    const auto dtype = parse_dtype(name);
    if (!dtype)
      throw UserError(reader.require(key, "").where, reader.child_path(key), "dtypes",
                      fmt::format("'{}'", name), config::did_you_mean(name, dtype_names()));
    dtypes.push_back(*dtype);
  }
  return dtypes;
}

// `fp8_latent_record`, `compressed_record` and `indexer_key_record` (the last has no RoPE part).
std::optional<LatentRecordRule> read_latent_record(config::MapReader& parent, const char* key,
                                                   bool with_rope = true) {
  const config::Node* node = parent.get(key);
  if (!node) return std::nullopt;
  const std::string path = parent.child_path(key);
  config::MapReader reader(*node, path);
  LatentRecordRule rule;
  rule.kinds = read_kind_list(reader, "kinds");
  if (rule.kinds.empty())
    throw UserError(node->where, reader.child_path("kinds"), "at least one mixer kind", "none");
  rule.latent_dtype = reader.required_dtype("latent_dtype");
  rule.quant_block = reader.required_positive("quant_block");
  rule.scale_bytes = reader.required_positive("scale_bytes");
  if (with_rope) rule.rope_dtype = reader.required_dtype("rope_dtype");
  rule.pad_bytes = reader.optional_positive("pad_bytes").value_or(0);
  rule.page_bytes_multiple = reader.optional_positive("page_bytes_multiple", 1);
  rule.default_from_sm = reader.optional_positive("default_from_sm");
  reader.finish();
  return rule;
}

std::optional<std::uint64_t> read_hybrid_alignment(config::MapReader& parent) {
  const config::Node* node = parent.get("hybrid_page_unification");
  if (!node) return std::nullopt;
  config::MapReader reader(*node, parent.child_path("hybrid_page_unification"));
  const std::uint64_t align = reader.required_positive("align_tokens");
  reader.finish();
  return align;
}

std::optional<StreamRule> read_streams(config::MapReader& parent) {
  const config::Node* node = parent.get("kv_streams");
  if (!node) return std::nullopt;
  config::MapReader reader(*node, parent.child_path("kv_streams"));
  StreamRule rule;
  rule.auto_parallel = reader.optional_positive("auto_parallel");
  rule.auto_kv_unified = reader.optional_bool("auto_kv_unified", false);
  reader.finish();
  return rule;
}

// `not_modelled`: each item a string (concerns every model) or {note, layer_kinds, families}.
std::vector<EngineNote> read_notes(config::MapReader& parent) {
  std::vector<EngineNote> notes;
  parent.for_each_item(
      "not_modelled", "a list of notes", [&](const config::Node& item, const std::string& path) {
        if (!item.is_map()) {
          notes.push_back({config::as_string(item, path), {}, {}, {}});
          return;
        }
        config::MapReader reader(item, path);
        EngineNote note;
        note.text = reader.required_string("note");
        note.layer_kinds = reader.optional_string_list("layer_kinds");
        const auto kinds = mixer_kind_names();
        for (const auto& kind : note.layer_kinds)
          if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end() &&
              !kind.ends_with("_attn"))
            throw UserError(
                reader.require("layer_kinds", "").where, reader.child_path("layer_kinds"),
                "mixer kinds or attention layer kinds (sliding_attn, chunked_attn, ...)",
                fmt::format("'{}'", kind), config::did_you_mean(kind, kinds));
        note.families = reader.optional_string_list("families");
        note.kv_dtypes = read_dtype_list(reader, "kv_dtypes");
        reader.finish();
        notes.push_back(std::move(note));
      });
  return notes;
}

void read_sliding_window(config::MapReader& reader, EngineProfile& engine) {
  const auto value = reader.optional_string("sliding_window");
  engine.sliding_window_extra_tokens =
      reader.optional_count("sliding_window_extra_tokens").value_or(0);
  if (engine.sliding_window_extra_tokens > 0 && value && *value != "window")
    throw UserError(reader.require("sliding_window_extra_tokens", "").where,
                    reader.child_path("sliding_window_extra_tokens"),
                    "extra tokens only beside sliding_window: window", fmt::format("'{}'", *value),
                    "drop one of the two keys");
  if (!value || *value == "window") return;
  if (*value == "full") {
    engine.sliding_window_in_full = true;
    return;
  }
  if (*value == "window_minus_one") {
    engine.sliding_window_minus_one = true;
    return;
  }
  throw UserError(reader.require("sliding_window", "").where, reader.child_path("sliding_window"),
                  "'window' (keep min(L, W) tokens), 'window_minus_one' (keep min(L, W − 1) "
                  "between steps) or 'full' (charge every token)",
                  fmt::format("'{}'", *value));
}

bool read_conv_columns(config::MapReader& reader) {
  const auto value = reader.optional_string("conv_state_columns");
  if (!value || *value == "kernel_minus_one") return false;
  if (*value == "kernel") return true;
  throw UserError(reader.require("conv_state_columns", "").where,
                  reader.child_path("conv_state_columns"),
                  "'kernel_minus_one' (K − 1 columns, the minimum) or 'kernel' (K columns)",
                  fmt::format("'{}'", *value));
}
}  // namespace

std::vector<fs::path> list_engine_files() { return yaml_files_in(engines_dir()); }

std::vector<std::string> engine_names() {
  std::vector<std::string> names;
  for (const auto& file : list_engine_files()) names.push_back(file.stem().string());
  return names;
}

// A profile's document with `extends: <profile name>` resolved: the named profile of
// configs/engines/ with this file's keys over it (a list replaces the parent's list).
namespace {
config::Node profile_document(const fs::path& path, int depth = 0) {
  config::Node document = config::load_document(path, path.string());
  const config::Node* extends = document.is_map() ? document.find("extends") : nullptr;
  if (extends == nullptr) return document;
  const std::string parent = config::as_string(*extends, "extends");
  const fs::path parent_path = engines_dir() / (parent + ".yaml");
  if (depth >= 4 || !fs::is_regular_file(parent_path))
    throw UserError(extends->where, "extends",
                    "the name of another profile in configs/engines/ (chains of at most 4)",
                    fmt::format("'{}'", parent), config::did_you_mean(parent, engine_names()));
  std::erase_if(document.entries, [](const config::Entry& e) { return e.key == "extends"; });
  return config::merge_documents(profile_document(parent_path, depth + 1), document);
}
}  // namespace

EngineProfile load_engine_profile(const std::string& name_or_path) {
  fs::path path = name_or_path;
  if (!fs::is_regular_file(path)) {
    path = engines_dir() / (name_or_path + ".yaml");
    if (!fs::exists(path)) {
      auto names = engine_names();
      names.push_back("paper");
      throw UserError({}, "--engine", "paper or an engine profile in configs/engines/",
                      fmt::format("'{}'", name_or_path), config::did_you_mean(name_or_path, names));
    }
  }
  const config::Node root = profile_document(path);
  config::MapReader reader(root, "");
  EngineProfile engine;
  engine.name = path.stem().string();
  engine.display_name = reader.required_string("display_name");
  engine.describes = reader.required_string("describes");
  engine.sources = reader.optional_string_list("sources");
  engine.not_modelled = read_notes(reader);
  if (const config::Node* node = reader.get("default_dtypes"))
    engine.default_dtypes = read_dtypes(*node, reader.child_path("default_dtypes"));
  engine.kv_cache_dtypes = read_dtype_list(reader, "kv_cache_dtypes");
  engine.forced_dtypes_by_kind = read_forced_dtypes(reader);
  engine.block_tokens = reader.optional_positive("block_tokens", 1);
  engine.block_tokens_by_kind = read_blocks_by_kind(reader);
  engine.block_tokens_by_family = read_blocks_by_family(reader);
  engine.gpu_defaults = read_gpu_defaults(reader);
  read_sliding_window(reader, engine);
  engine.conv_state_full_kernel = read_conv_columns(reader);
  engine.sliding_window_full_for_families =
      reader.optional_string_list("sliding_window_full_for_families");
  engine.hybrid_page_align_tokens = read_hybrid_alignment(reader);
  engine.latent_record = read_latent_record(reader, "fp8_latent_record");
  engine.compressed_record = read_latent_record(reader, "compressed_record");
  engine.indexer_key_record = read_latent_record(reader, "indexer_key_record", false);
  engine.separate_v_latent_kinds = read_kind_list(reader, "separate_v_latent_kinds");
  engine.decompressed_latent_kinds = read_kind_list(reader, "decompressed_latent_kinds");
  engine.unquantised_terms = reader.optional_string_list("unquantised_terms");
  engine.state_slots_per_sequence = reader.optional_positive("state_slots_per_sequence", 1);
  engine.kv_streams = read_streams(reader);
  reader.finish();
  if (engine.sources.empty())
    throw UserError(root.where, "sources", "at least one source for the rules", "none");
  return engine;
}

}  // namespace attnsim
