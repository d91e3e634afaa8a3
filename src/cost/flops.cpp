// Implementation of the model-level FLOP sums.
#include "cost/flops.h"

#include <fmt/format.h>

#include <map>
#include <utility>

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
