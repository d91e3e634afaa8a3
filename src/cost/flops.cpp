// Implementation of the model-level FLOP sums.
#include "cost/flops.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "cost/params.h"
#include "ffn/ffn_cost.h"

namespace attnsim {

namespace {
using RowKey = std::pair<std::string, std::string>;  // (group, operation)

struct Sums {
  std::map<RowKey, FlopRow> rows;
  std::vector<RowKey> order;

  FlopRow& row(const std::string& group, const std::string& operation) {
    const RowKey key{group, operation};
    auto [it, inserted] = rows.try_emplace(key, FlopRow{group, operation, 0.0, 0.0});
    if (inserted) order.push_back(key);
    return it->second;
  }
};

// Mixer FLOPs of one layer; layers with the same mixer instance and kind repeat, so the
// counts are cached per instance.
struct MixerFlops {
  FlopCounts prefill;
  FlopCounts decode;
};
}  // namespace

std::vector<BlockExtraOp> block_extra_ops(const ModelDims& dims, double layers) {
  const auto D = static_cast<double>(dims.d_model);
  std::vector<BlockExtraOp> ops;
  auto matmul = [&](std::string_view group, const char* name, double count, double in, double out) {
    ops.push_back({std::string(group), name, count, in, out, 0, 0});
  };
  if (const auto& ple = dims.per_layer_embeddings) {
    const auto w = static_cast<double>(ple->width);
    // per_layer_model_projection D → n·w once; per layer a gate D → w and a projection w → D
    matmul(kPerLayerEmbeddings, "per_layer_model_projection", 1, D,
           static_cast<double>(dims.n_layers) * w);
    matmul(kPerLayerEmbeddings, "per_layer_input_gate", layers, D, w);
    matmul(kPerLayerEmbeddings, "per_layer_projection", layers, w, D);
  }
  if (dims.altup_inputs) {
    const auto K = static_cast<double>(*dims.altup_inputs);
    // K − 1 stream projections D → D in and K − 1 out, once; per layer the router D → K (run by
    // predict and again by correct), the coefficient maps K → K² (predict) and K → K (correct)
    matmul(kAltUp, "altup_projections", K - 1.0, D, D);
    matmul(kAltUp, "altup_unembed_projections", K - 1.0, D, D);
    matmul(kAltUp, "modality_router", 2.0 * layers, D, K);
    matmul(kAltUp, "prediction_coefs", layers, K, K * K);
    matmul(kAltUp, "correction_coefs", layers, K, K);
    // predict multiplies the K streams of D by a K × K matrix (2·D·K²); correct scales the
    // innovation for each stream and adds it (2·D·K); each reads and writes the K streams
    ops.push_back({std::string(kAltUp), "predict", layers, 0, 0, 2.0 * D * K * K, K * D});
    ops.push_back({std::string(kAltUp), "correct", layers, 0, 0, 2.0 * D * K, K * D});
  }
  if (dims.laurel_rank) {  // per layer D → r → D
    const auto r = static_cast<double>(*dims.laurel_rank);
    matmul(kLaurel, "linear_left", layers, D, r);
    matmul(kLaurel, "linear_right", layers, r, D);
  }
  if (dims.hyper_connections) {
    // Before the mixer and before the FFN of every layer: hc_fn maps the n streams (n·D values)
    // to (2 + n)·n mixing logits; pre reduces the n streams to one input (2·n·D); post writes
    // the block's output into each stream and mixes the streams by the n × n combination
    // (2·n·D + 2·n²·D). The head reduces the streams once (hc_head_fn n·D → n, then 2·n·D). The
    // Sinkhorn normalisation of the n × n combination (hc_sinkhorn_iters passes over n² values,
    // about 10³ FLOPs) is left out: below a millionth of a layer's work.
    const auto n = static_cast<double>(*dims.hyper_connections);
    matmul(kHyperConnections, "hc_fn", 2.0 * layers, n * D, (2.0 + n) * n);
    ops.push_back({std::string(kHyperConnections), "pre", 2.0 * layers, 0, 0, 2.0 * n * D, n * D});
    ops.push_back({std::string(kHyperConnections), "post", 2.0 * layers, 0, 0,
                   2.0 * n * D + 2.0 * n * n * D, n * D});
    matmul(kHyperConnections, "hc_head_fn", 1, n * D, n);
    ops.push_back({std::string(kHyperConnections), "head", 1, 0, 0, 2.0 * n * D, n * D});
  }
  return ops;
}

FlopReport model_flops(const Architecture& architecture, std::uint64_t prefill_tokens,
                       std::uint64_t decode_context, const FlopOptions& options) {
  const ModelDims& dims = architecture.dims;
  const FlopContext context{dims.d_model, options.causal, options.linear, options.chunk};
  const auto T = static_cast<double>(prefill_tokens);
  Sums sums;
  std::map<const Mixer*, MixerFlops> cache;
  for (const Layer& layer : architecture.layers) {
    if (layer.mixer) {
      auto [it, inserted] = cache.try_emplace(layer.mixer.get());
      if (inserted)
        it->second = {layer.mixer->prefill_flops(context, prefill_tokens),
                      layer.mixer->decode_flops(context, decode_context)};
      const std::string kind = layer.mixer->layer_kind();
      for (const auto& [operation, flops] : it->second.prefill)
        sums.row(kind, operation).prefill += flops;
      for (const auto& [operation, flops] : it->second.decode)
        sums.row(kind, operation).decode += flops;
    }
    if (layer.ffn)
      for (const auto& [operation, flops] : ffn_flops_per_token(*layer.ffn, dims.d_model)) {
        FlopRow& row = sums.row("ffn", operation);
        row.prefill += flops * T;
        row.decode += flops;
      }
  }
  // The work around the blocks (Gemma 3n, hyper-connections): one row per group, as the weights
  // are grouped.
  for (const BlockExtraOp& op :
       block_extra_ops(dims, static_cast<double>(architecture.layers.size()))) {
    FlopRow& row = sums.row(op.group, "projections");
    row.prefill += op.count * op.flops() * T;
    row.decode += op.count * op.flops();
  }
  const double head =
      2.0 * static_cast<double>(dims.vocab_size) * static_cast<double>(dims.d_model);
  FlopRow& lm_head = sums.row("model", "lm_head");
  lm_head.prefill += head * T;
  lm_head.decode += head;

  FlopReport report;
  report.name = architecture.name;
  report.prefill_tokens = prefill_tokens;
  report.decode_context = decode_context;
  report.options = options;
  for (const RowKey& key : sums.order) {
    const FlopRow& row = sums.rows.at(key);
    report.rows.push_back(row);
    report.prefill_total += row.prefill;
    report.decode_total += row.decode;
  }
  return report;
}

std::string describe(CausalConvention causal) {
  return causal == CausalConvention::half
             ? "causal=half: masked pairs skipped (FlashAttention-style, T(T+1)/2 pairs)"
             : "causal=full: every query against its whole span (Kaplan-style, T·min(T, W) pairs)";
}

std::string describe(LinearAlgorithm linear) {
  return linear == LinearAlgorithm::chunked ? "chunked" : "recurrent";
}

}  // namespace attnsim
