// Implementation of the model-level parameter sums.
#include "cost/params.h"

#include <fmt/format.h>

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

// Weights of one norm over `width` channels: RMSNorm a weight, LayerNorm a weight and a bias.
Count norm_weights(const ModelDims& dims, Count width) {
  return dims.norm == NormKind::layernorm ? 2 * width : width;
}

// A layer's blocks and norms. Pre-norms: one in front of each block, or one shared by both in a
// parallel block. A block's post-norm (its component "post_norm", Gemma 3) is a layer norm too,
// as transformers names it (post_attention_layernorm). Tensors a checkpoint stores that are
// not parameters (the FFN's `stored`) go to `stored`.
void add_layer(Sums& sums, Sums& stored, const Layer& layer, const ModelDims& dims) {
  const Count d = dims.d_model;
  const int blocks = (layer.mixer ? 1 : 0) + (layer.ffn ? 1 : 0);
  Count norm_widths = dims.parallel_blocks && blocks == 2 ? d : d * Count(blocks);
  if (layer.mixer) {
    const std::string kind = layer.mixer->layer_kind();
    for (const auto& [component, count] : layer.mixer->params({d})) {
      if (component == kPostNorm)
        norm_widths += count;
      else  // weights a layer stores but never runs (kUnusedWeights) are not active
        sums.add(kind, component, count, component == kUnusedWeights ? Count{} : count);
    }
  }
  if (layer.ffn) {
    const FfnParams ffn = ffn_params(*layer.ffn, dims.d_model);
    for (const auto& [component, count] : ffn.total) {
      if (component == kPostNorm) {
        norm_widths += count;
        continue;
      }
      const auto active = ffn.active.find(component);
      sums.add("ffn", component, count, active == ffn.active.end() ? 0 : active->second);
    }
    for (const auto& [component, count] : ffn.stored) stored.add("ffn", component, count, 0);
  }
  const Count norms = norm_weights(dims, norm_widths);
  sums.add("model", "layer norms", norms, norms);
}

// DeepSeek V4's hyper-connections with n streams (reference inference/model.py, Block and
// ParallelHead, read at Nicooo-Wang/DeepSeek-V4-Pro-code@0ec3a03c): before the mixer and before
// the FFN, hc_fn maps the n·D stream values to (2 + n)·n mixing logits (n pre weights, n post
// weights, an n × n combination), with hc_base ((2 + n)·n) and hc_scale (3). The head reduces the
// n streams with hc_head_fn (n·D → n), hc_head_base (n) and hc_head_scale (1).
void add_hyper_connection_block(Sums& sums, const ModelDims& dims) {
  if (!dims.hyper_connections) return;
  const Count n = *dims.hyper_connections;
  const Count mixes = (2 + n) * n;
  const Count weights = 2 * mixes * (n * dims.d_model);  // hc_attn_fn and hc_ffn_fn
  sums.add(std::string(kHyperConnections), "mixing weights", weights, weights);
  const Count biases = 2 * (mixes + 3);  // hc_{attn,ffn}_base and hc_{attn,ffn}_scale
  sums.add(std::string(kHyperConnections), "biases and scales", biases, biases);
}

void add_hyper_connection_head(Sums& sums, const ModelDims& dims) {
  if (!dims.hyper_connections) return;
  const Count n = *dims.hyper_connections;
  const Count head = n * (n * dims.d_model) + n + 1;
  sums.add(std::string(kHyperConnections), "head mixing", head, head);
}

// What one layer adds around its blocks: DeepSeek V4's hyper-connections (above), and in Gemma 3n
// (transformers Gemma3nTextDecoderLayer, models/gemma3n/modeling_gemma3n.py
// @00aa0f5dc1ccd968335257cb871d41ee9c0bc21e), all active:
// - PLE: per_layer_input_gate D → w, per_layer_projection w → D, post_per_layer_input_norm (D);
// - AltUp (K streams): modality_router D → K, correction_coefs K → K, prediction_coefs K → K²,
//   correct_output_scale (D) and router_norm (D);
// - LAuReL (rank r): linear_left D → r, linear_right r → D, post_laurel_norm (D).
void add_layer_extras(Sums& sums, const ModelDims& dims) {
  const Count d = dims.d_model;
  add_hyper_connection_block(sums, dims);
  if (const auto& ple = dims.per_layer_embeddings) {
    const Count gates = 2 * d * Count(ple->width);
    sums.add(std::string(kPerLayerEmbeddings), "layer gates and projections", gates, gates);
    const Count norm = norm_weights(dims, d);
    sums.add(std::string(kPerLayerEmbeddings), "layer norms", norm, norm);
  }
  if (dims.altup_inputs) {
    const Count k = *dims.altup_inputs;
    const Count coefficients = d * k + k * k + k * k * k;
    sums.add(std::string(kAltUp), "router and coefficients", coefficients, coefficients);
    const Count scale_and_norm = d + norm_weights(dims, d);
    sums.add(std::string(kAltUp), "output scale and router norm", scale_and_norm, scale_and_norm);
  }
  if (dims.laurel_rank) {
    const Count projections = 2 * d * Count(*dims.laurel_rank);
    sums.add(std::string(kLaurel), "projections", projections, projections);
    const Count norm = norm_weights(dims, d);
    sums.add(std::string(kLaurel), "norms", norm, norm);
  }
}

// The model-level weights of the same features (Gemma3nTextModel): the per-layer embedding table
// (vocab_size_per_layer_input × n_layers·w, a lookup), per_layer_model_projection D → n_layers·w
// and per_layer_projection_norm (w); AltUp's altup_projections and altup_unembed_projections,
// K − 1 of D → D each; and the hyper-connections' head. Returns the lookup table's size.
Count add_model_extras(Sums& sums, const ModelDims& dims) {
  const Count d = dims.d_model;
  Count table = 0;
  if (const auto& ple = dims.per_layer_embeddings) {
    const Count all_layers = Count(dims.n_layers) * ple->width;
    table = Count(ple->vocab_size) * all_layers;
    sums.add(std::string(kPerLayerEmbeddings), std::string(kPerLayerEmbeddingTable), table, 0);
    sums.add(std::string(kPerLayerEmbeddings), "model projection", d * all_layers, d * all_layers);
    const Count norm = norm_weights(dims, ple->width);
    sums.add(std::string(kPerLayerEmbeddings), "projection norm", norm, norm);
  }
  if (dims.altup_inputs) {
    const Count projections = Count(*dims.altup_inputs - 1) * 2 * d * d;
    sums.add(std::string(kAltUp), "stream projections", projections, projections);
  }
  add_hyper_connection_head(sums, dims);
  return table;
}

// One module's block plus its own weights: two input norms, the 2D → D fusion projection and
// the output norm; with hyper-connections (DeepSeek V4's MTPBlock) the block's own and a head's.
// Rows read "<group> <component>" under the group "mtp", times the modules.
std::vector<ParamRow> mtp_params(const MtpModules& mtp, const ModelDims& dims) {
  const Count d = dims.d_model;
  Sums module;
  Sums stored;  // not listed for MTP modules
  module.add("model", "input norms", norm_weights(dims, 2 * d), 0);
  module.add("model", "fusion projection", 2 * d * d, 0);
  add_layer(module, stored, mtp.block, dims);
  add_layer_extras(module, dims);
  add_hyper_connection_head(module, dims);
  module.add("model", "output norm", norm_weights(dims, d), 0);
  std::vector<ParamRow> rows;
  for (const RowKey& key : module.order) {
    const std::string component = key.first == "model" ? key.second : key.first + " " + key.second;
    rows.push_back({"mtp", component, Count(module.rows.at(key).total) * mtp.modules, 0});
  }
  return rows;
}
}  // namespace

ParamReport model_params(const Architecture& architecture, Invocations invocations) {
  const ModelDims& dims = architecture.dims;
  const std::uint64_t table = checked_mul(dims.vocab_size, dims.d_model, "embedding parameters");
  Sums sums;
  Sums stored;
  // A tied lm head is the embedding table: a token multiplies with all of it as the head.
  if (dims.tied_embeddings) {
    sums.add("model", "embeddings = lm head (tied)", table, table);
  } else {
    sums.add("model", "embeddings", table, 0);
    sums.add("model", "lm head", table, table);
  }
  // Meta tokens (Hymba): M learned vectors of D prepended to every sequence, run once per
  // sequence like a prompt, so not active.
  if (dims.meta_tokens) {
    const Count meta = Count(*dims.meta_tokens) * dims.d_model;
    sums.add("model", std::string(kMetaTokens), meta, 0);
  }
  // A learned absolute position table is a lookup like the input table: not active.
  Count positions = 0;
  if (dims.learned_positions) {
    positions = Count(*dims.learned_positions) * dims.d_model;
    sums.add("model", "position embeddings", positions, 0);
  }
  const Count per_layer_table = add_model_extras(sums, dims);
  for (const Layer& layer : architecture.layers)
    if (!layer.weights_shared_from || invocations == Invocations::each) {
      add_layer(sums, stored, layer, dims);
      add_layer_extras(sums, dims);
    }
  const Count final_norm = norm_weights(dims, dims.d_model);
  sums.add("model", "final norm", final_norm, final_norm);

  // Embeddings and head first, then mixers, FFNs, the features around the blocks and norms, each
  // in order of appearance.
  auto rank = [](const RowKey& key) {
    if (key.first == "model") return key.second.find("norm") == std::string::npos ? 0 : 6;
    if (key.first == kPerLayerEmbeddings) return 3;
    if (key.first == kAltUp) return 4;
    if (key.first == kLaurel || key.first == kHyperConnections) return 5;
    return key.first == "ffn" ? 2 : 1;
  };
  std::stable_sort(sums.order.begin(), sums.order.end(),
                   [&rank](const RowKey& a, const RowKey& b) { return rank(a) < rank(b); });
  ParamReport report;
  report.name = architecture.name;
  report.weights_dtype = architecture.dtypes.weights;
  report.unverified = architecture.source.unverified;
  report.unknown = architecture.unknown_params;
  for (const RowKey& key : sums.order) {
    const ParamRow& row = sums.rows.at(key);
    report.rows.push_back(row);
    report.total = checked_add(report.total, row.total, "parameter count");
    report.active = checked_add(report.active, row.active, "parameter count");
  }
  if (architecture.mtp) {
    report.mtp_rows = mtp_params(*architecture.mtp, dims);
    for (const ParamRow& row : report.mtp_rows)
      report.mtp_total = checked_add(report.mtp_total, row.total, "parameter count");
  }
  for (const RowKey& key : stored.order) {
    const ParamRow& row = stored.rows.at(key);
    report.stored_rows.push_back(row);
    report.stored_total = checked_add(report.stored_total, row.total, "parameter count");
  }
  const Count lookups = Count(dims.tied_embeddings ? 0 : table) + positions + per_layer_table;
  report.active_with_embeddings = Count(report.active) + lookups;
  return report;
}

std::uint64_t exact_params_total(const Architecture& architecture, std::string_view what) {
  const ParamReport report = model_params(architecture);
  if (!report.lower_bound()) return report.total;
  std::vector<std::string> parts;
  for (const auto& part : report.unknown) parts.push_back(part.part + " (" + part.reason + ")");
  throw UserError({}, architecture.name + ": unknown_params",
                  fmt::format("every parameter known for {}", what),
                  fmt::format("{} left out: {}", parts.size() == 1 ? "a part" : "parts",
                              fmt::join(parts, "; ")),
                  fmt::format("the known parameters are ≥ {}; `attnsim params {}` shows them",
                              report.total, architecture.name));
}

}  // namespace attnsim
