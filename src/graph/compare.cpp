// Implementation of the layer-graph comparison.
#include "graph/compare.h"

#include <fmt/format.h>

#include <map>

namespace attnsim {

namespace {
std::string optional_text(const std::optional<std::uint64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

std::string optional_text(const std::optional<DType>& value) {
  return value ? std::string(dtype_name(*value)) : "-";
}

std::string mixer_text(const Layer& layer) {
  return layer.mixer ? fmt::format("{} {}", layer.mixer->kind(), layer.mixer->describe()) : "none";
}

std::string ffn_text(const Layer& layer) { return layer.ffn ? describe(*layer.ffn) : "none"; }

std::string mtp_text(const std::optional<MtpModules>& mtp) {
  return mtp ? fmt::format("{} × ({}; {})", mtp->modules, mixer_text(mtp->block), ffn_text(mtp->block))
             : "none";
}

// "0-2, 5, 9-11" from sorted layer indices.
std::string ranges(const std::vector<std::size_t>& indices) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    parts.push_back(j == i ? std::to_string(indices[i]) : fmt::format("{}-{}", indices[i], indices[j]));
    i = j + 1;
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}
}  // namespace

const std::vector<std::string>& graph_comparison_keys() {
  static const std::vector<std::string> keys = {
      "model.d_model",   "model.vocab_size",     "model.n_layers",    "model.tied_embeddings",
      "model.max_context", "dtypes.weights",     "dtypes.kv_cache",   "dtypes.recurrent_state",
      "dtypes.conv_state", "layer.mixer",        "layer.ffn",         "layer.kv_shared_from", "layer.weights_shared_from", "layers", "mtp"};
  return keys;
}

std::vector<GraphDifference> compare_graphs(const Architecture& left, const Architecture& right) {
  std::vector<GraphDifference> differences;
  auto model_key = [&](std::string key, std::string a, std::string b) {
    if (a != b) differences.push_back({std::move(key), "", std::move(a), std::move(b)});
  };
  model_key("model.d_model", std::to_string(left.dims.d_model), std::to_string(right.dims.d_model));
  model_key("model.vocab_size", std::to_string(left.dims.vocab_size), std::to_string(right.dims.vocab_size));
  model_key("model.n_layers", std::to_string(left.dims.n_layers), std::to_string(right.dims.n_layers));
  model_key("model.tied_embeddings", left.dims.tied_embeddings ? "true" : "false",
            right.dims.tied_embeddings ? "true" : "false");
  model_key("model.max_context", optional_text(left.dims.max_context), optional_text(right.dims.max_context));
  model_key("dtypes.weights", std::string(dtype_name(left.dtypes.weights)), std::string(dtype_name(right.dtypes.weights)));
  model_key("dtypes.kv_cache", optional_text(left.dtypes.kv_cache), optional_text(right.dtypes.kv_cache));
  model_key("dtypes.recurrent_state", optional_text(left.dtypes.recurrent_state),
            optional_text(right.dtypes.recurrent_state));
  model_key("dtypes.conv_state", optional_text(left.dtypes.conv_state), optional_text(right.dtypes.conv_state));
  model_key("mtp", mtp_text(left.mtp), mtp_text(right.mtp));
  // A looped stack (layers.loops) runs more layers than model.n_layers names.
  model_key("layers", std::to_string(left.layers.size()), std::to_string(right.layers.size()));
  if (left.layers.size() != right.layers.size()) return differences;

  // Per-layer differences, grouped by (key, left, right) so a pattern-wide mismatch is one line.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::size_t>> grouped;
  for (std::size_t i = 0; i < left.layers.size(); ++i) {
    const Layer& a = left.layers[i];
    const Layer& b = right.layers[i];
    if (mixer_text(a) != mixer_text(b)) grouped[{"layer.mixer", mixer_text(a), mixer_text(b)}].push_back(i);
    if (ffn_text(a) != ffn_text(b)) grouped[{"layer.ffn", ffn_text(a), ffn_text(b)}].push_back(i);
    if (a.kv_shared_from != b.kv_shared_from)
      grouped[{"layer.kv_shared_from", optional_text(a.kv_shared_from), optional_text(b.kv_shared_from)}].push_back(i);
    if (a.weights_shared_from != b.weights_shared_from)
      grouped[{"layer.weights_shared_from", optional_text(a.weights_shared_from),
               optional_text(b.weights_shared_from)}].push_back(i);
  }
  for (const auto& [what, indices] : grouped)
    differences.push_back({std::get<0>(what), ranges(indices), std::get<1>(what), std::get<2>(what)});
  return differences;
}

std::string format_difference(const GraphDifference& difference, const std::string& left_name,
                              const std::string& right_name) {
  const std::string where = difference.layers.empty() ? "" : fmt::format(" (layers {})", difference.layers);
  return fmt::format("{}{}: {} '{}', {} '{}'", difference.key, where, left_name, difference.left,
                     right_name, difference.right);
}

}  // namespace attnsim
