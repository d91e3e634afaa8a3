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

// Gemma 3n's work around the blocks, per token (shapes in cost/params.cpp): 2 FLOPs per weight of
// each matmul, and AltUp's mixing of its K streams of D — predict multiplies them by a K × K
// matrix (2·D·K²), correct scales and adds the innovation to each (2·D·K). Per-layer parts
// count `layers` invocations (a looped stack runs them again).
void add_block_extras(Sums& sums, const ModelDims& dims, double layers, double T) {
  const auto D = static_cast<double>(dims.d_model);
  auto add = [&](const std::string& group, double per_token) {
    FlopRow& row = sums.row(group, "projections");
    row.prefill += per_token * T;
    row.decode += per_token;
  };
  if (const auto& ple = dims.per_layer_embeddings) {
    const auto w = static_cast<double>(ple->width);
    // per_layer_model_projection D → n·w once; per layer a gate D → w and a projection w → D
    add(std::string(kPerLayerEmbeddings),
        2.0 * D * static_cast<double>(dims.n_layers) * w + layers * 2.0 * (2.0 * D * w));
  }
  if (dims.altup_inputs) {
    const auto K = static_cast<double>(*dims.altup_inputs);
    // 2·(K − 1) stream projections D → D once; per layer the router D → K and the coefficient
    // maps K → K² and K → K (each run twice: predict and correct route separately, the router
    // twice too), and the stream mixing
    const double per_layer =
        2.0 * (2.0 * D * K) + 2.0 * K * K * K + 2.0 * K * K + 2.0 * D * K * K + 2.0 * D * K;
    add(std::string(kAltUp), 2.0 * 2.0 * (K - 1.0) * D * D + layers * per_layer);
  }
  if (dims.laurel_rank)  // per layer D → r → D
    add(std::string(kLaurel), layers * 2.0 * (2.0 * D * static_cast<double>(*dims.laurel_rank)));
}

// Mixer FLOPs of one layer; layers with the same mixer instance and kind repeat, so the
// counts are cached per instance.
struct MixerFlops {
  FlopCounts prefill;
  FlopCounts decode;
};
}  // namespace

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
  add_block_extras(sums, dims, static_cast<double>(architecture.layers.size()), T);
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
