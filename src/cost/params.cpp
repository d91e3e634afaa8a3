// Implementation of the model-level parameter sums.
#include "cost/params.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/count.h"
#include "ffn/ffn_cost.h"

namespace attnsim {

namespace {
using RowKey = std::pair<std::string, std::string>;  // (group, component)

struct Sums {
  std::map<RowKey, ParamRow> rows;
  std::vector<RowKey> order;  // first appearance, so the table reads like the model

  void add(const std::string& group, const std::string& component, std::uint64_t total,
           std::uint64_t active) {
    const RowKey key{group, component};
    auto [it, inserted] = rows.try_emplace(key, ParamRow{group, component, 0, 0});
    if (inserted) order.push_back(key);
    it->second.total = checked_add(it->second.total, total, "parameter count");
    it->second.active = checked_add(it->second.active, active, "parameter count");
  }
};

void add_layer(Sums& sums, const Layer& layer, std::uint64_t d_model) {
  // One pre-norm (RMSNorm/LayerNorm weight of D) in front of each block the layer has.
  std::uint64_t norms = 0;
  if (layer.mixer) {
    norms += d_model;
    const std::string kind = layer.mixer->layer_kind();
    for (const auto& [component, count] : layer.mixer->params({d_model}))
      sums.add(kind, component, count, count);
  }
  if (layer.ffn) {
    norms += d_model;
    const FfnParams ffn = ffn_params(*layer.ffn, d_model);
    for (const auto& [component, count] : ffn.total) {
      const auto active = ffn.active.find(component);
      sums.add("ffn", component, count, active == ffn.active.end() ? 0 : active->second);
    }
  }
  sums.add("model", "layer norms", norms, norms);
}

// One module's block plus its own weights: two input norms, the 2D → D fusion projection and
// the output norm. Rows read "<group> <component>" under the group "mtp", times the modules.
std::vector<ParamRow> mtp_params(const MtpModules& mtp, std::uint64_t d_model) {
  const Count d = d_model;
  Sums module;
  module.add("model", "input norms", 2 * d, 0);
  module.add("model", "fusion projection", 2 * d * d, 0);
  add_layer(module, mtp.block, d_model);
  module.add("model", "output norm", d, 0);
  std::vector<ParamRow> rows;
  for (const RowKey& key : module.order) {
    const std::string component = key.first == "model" ? key.second : key.first + " " + key.second;
    rows.push_back({"mtp", component, Count(module.rows.at(key).total) * mtp.modules, 0});
  }
  return rows;
}
}  // namespace

ParamReport model_params(const Architecture& architecture) {
  const ModelDims& dims = architecture.dims;
  const std::uint64_t table = checked_mul(dims.vocab_size, dims.d_model, "embedding parameters");
  Sums sums;
  // A tied lm head is the embedding table: a token multiplies with all of it as the head.
  if (dims.tied_embeddings) {
    sums.add("model", "embeddings = lm head (tied)", table, table);
  } else {
    sums.add("model", "embeddings", table, 0);
    sums.add("model", "lm head", table, table);
  }
  for (const Layer& layer : architecture.layers) add_layer(sums, layer, dims.d_model);
  sums.add("model", "final norm", dims.d_model, dims.d_model);

  // Embeddings and head first, then mixers, FFNs and norms, each in order of appearance.
  auto rank = [](const RowKey& key) {
    if (key.first == "model") return key.second.find("norm") == std::string::npos ? 0 : 3;
    return key.first == "ffn" ? 2 : 1;
  };
  std::stable_sort(sums.order.begin(), sums.order.end(),
                   [&rank](const RowKey& a, const RowKey& b) { return rank(a) < rank(b); });
  ParamReport report;
  report.name = architecture.name;
  report.weights_dtype = architecture.dtypes.weights;
  report.unverified = architecture.source.unverified;
  for (const RowKey& key : sums.order) {
    const ParamRow& row = sums.rows.at(key);
    report.rows.push_back(row);
    report.total = checked_add(report.total, row.total, "parameter count");
    report.active = checked_add(report.active, row.active, "parameter count");
  }
  if (architecture.mtp) {
    report.mtp_rows = mtp_params(*architecture.mtp, dims.d_model);
    for (const ParamRow& row : report.mtp_rows)
      report.mtp_total = checked_add(report.mtp_total, row.total, "parameter count");
  }
  report.active_with_embeddings =
      dims.tied_embeddings ? report.active : checked_add(report.active, table, "parameter count");
  return report;
}

}  // namespace attnsim
