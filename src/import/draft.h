// An architecture file under construction: what an importer fills in, and its rendering as a
// readable YAML file (compact layer patterns, comments naming the config key of each value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnsim::import {

// One `key: value` line of a mixer or FFN map, with the config key it came from as a comment.
struct Field {
  std::string key;
  std::string value;    // YAML scalar text, e.g. "128", "true", "bf16", or a flow map
  std::string comment;  // e.g. "num_key_value_heads"; empty for none
};

struct Instance {
  std::string name;
  std::vector<Field> fields;  // the first is `kind`
};

// Multi-token prediction modules: how many, the block's mixer and FFN instance names, and the
// config key the count came from.
struct MtpDraft {
  std::uint64_t modules = 0;
  std::string mixer;
  std::string ffn;
  std::string key;
};

struct ArchitectureDraft {
  std::string display_name;
  std::string family;
  std::string params_label;
  std::string config;      // the config's path as the user gave it
  std::string model_type;  // source.model_type: the names of `params --by tensor`
  std::vector<std::string> notes;
  std::vector<std::string> unverified;  // key paths of this file

  std::uint64_t d_model = 0;
  std::uint64_t vocab_size = 0;
  std::uint64_t n_layers = 0;
  bool tied_embeddings = false;
  std::optional<std::uint64_t> max_context;
  std::optional<std::uint64_t> learned_positions;  // model.learned_positions
  std::optional<std::uint64_t> hyper_connections;  // model.hyper_connections
  std::string norm;                                // model.norm; empty: the default (rmsnorm)

  std::string weights_dtype = "bf16";
  std::optional<std::string> kv_cache_dtype;
  std::optional<std::string> recurrent_state_dtype;
  std::optional<std::string> conv_state_dtype;

  std::vector<Instance> mixers;
  std::vector<Instance> ffns;
  // The attention instance of "the same model with full attention everywhere", where the model
  // has more than one (SambaY's sliding and global differential attention); empty: none written.
  std::string baseline_attention;
  // Either one mixer and one FFN name per layer ("none" for an empty slot) ...
  std::vector<std::string> layer_mixers;
  std::vector<std::string> layer_ffns;
  // ... or a Nemotron-H pattern string with its letter table (letter → {mixer|ffn, name}).
  std::string pattern;
  std::vector<std::pair<char, std::pair<std::string, std::string>>> letters;
  std::optional<MtpDraft> mtp;
  // Cross-layer KV reuse: (reading layers, the layer whose KV cache they read), written as
  // layers.overrides kv_shared_from.
  std::vector<std::pair<std::vector<std::uint64_t>, std::uint64_t>> kv_shared;
};

// Renders the draft. Layer sequences are written in the most compact exact form: one name, a
// repeat cycle, a default with index lists, or a full list.
std::string to_yaml(const ArchitectureDraft& draft);

// The compact YAML form of one per-layer name sequence (exposed for tests).
std::string compact_sequence_yaml(const std::vector<std::string>& names);

}  // namespace attnsim::import
