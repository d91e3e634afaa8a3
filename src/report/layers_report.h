// Text views of a layer graph: the compact pattern ("12 × [gdn, gdn, gdn, gated_attn]"), the
// instance table and the full per-layer listing.
#pragma once

#include <string>
#include <vector>

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
Table per_layer_table(const Architecture& architecture);
// `attnsim layers --format json`: the unified document (report/json_document.h) with, per
// architecture, the compact pattern, layer kinds, instances and every layer (whatever --full says).
std::string render_layers_json(const std::vector<Architecture>& architectures);

}  // namespace attnsim::report
