// Text views of a layer graph: the compact pattern ("12 × [gdn, gdn, gdn, gated_attn]"), the
// instance table and the full per-layer listing.
#pragma once

#include <string>
#include <vector>

#include "cost/memory.h"
#include "graph/architecture.h"
#include "report/table.h"

namespace attnsim::report {

// Run-length form of a sequence of names: repeated cycles as "k × [a, b]", the rest listed.
std::string compact_sequence(const std::vector<std::string>& names);
// The model's layers in compact form. Each layer is named by its mixer instance; when the FFN
// instance varies across layers it is added as "mixer+ffn".
std::string compact_layer_pattern(const Architecture& architecture);
// One line per layer whose KV cache later layers read (kv_shared_from): "layers 19, 21 read
// layer 17's KV cache (and keep none)"; empty when no layer reads another's.
std::vector<std::string> kv_reuse_lines(const Architecture& architecture);
// "36 gated_deltanet, 12 gated_attn".
std::string format_layer_mix(const std::map<std::string, std::uint64_t>& counts);
Table instances_table(const Architecture& architecture);
// One row per layer: mixer, kind, FFN, KV bytes per token, the tokens a capped KV keeps (window
// or chunk), state bytes per sequence (exact bytes, `memory` from cost::layer_memory) and a note.
Table per_layer_table(const Architecture& architecture, const std::vector<LayerMemory>& memory);
// `attnsim layers --format json`: the unified document (report/json_document.h) with, per
// architecture, the compact pattern, layer kinds, instances and every layer (whatever --full
// says) with its kv_bytes_per_token, kv_max_tokens (null: grows with the context) and
// state_bytes_per_sequence, in the dtypes given beside them.
std::string render_layers_json(const Architecture& architecture,
                               const std::vector<LayerMemory>& memory, const CacheDTypes& dtypes);

}  // namespace attnsim::report
