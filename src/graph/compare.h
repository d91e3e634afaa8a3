// Key-by-key comparison of two layer graphs: model dimensions, cache dtypes, and each layer's
// mixer and FFN (kind and every shape parameter, as the instances describe themselves).
// Instance names do not matter: two files that build the same graph are equal.
#pragma once

#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

struct GraphDifference {
  std::string key;     // "model.d_model", "dtypes.kv_cache", "layer.mixer", "layer.ffn", ...
  std::string layers;  // "3, 7-11" for per-layer keys; empty for model-level keys
  std::string left;
  std::string right;
};

// The keys compare_graphs can report (what `source.config_differences` may name).
const std::vector<std::string>& graph_comparison_keys();

std::vector<GraphDifference> compare_graphs(const Architecture& left, const Architecture& right);

// "model.d_model: 2048 vs 4096" / "layer.mixer (layers 3, 7): ... vs ...".
std::string format_difference(const GraphDifference& difference, const std::string& left_name,
                              const std::string& right_name);

}  // namespace attnsim
