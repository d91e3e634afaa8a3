// Implementation of the roofline and fit models (the model is written out in roofline.h).
#include "cost/roofline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "core/error.h"
#include "cost/params.h"
#include "cost/step_time.h"
#include "ffn/ffn_cost.h"

namespace attnsim {

namespace {
// Heads on the most loaded rank over all n: ceil(n / tp), at least 1 (replicated when tp > n).
std::uint64_t heads_per_rank(std::uint64_t n, std::uint64_t tp) {
  return std::max<std::uint64_t>(1, (n + tp - 1) / tp);
}

// Layers that keep the same caches, each as a one-layer architecture so that cost/memory does
// the byte accounting, with how many layers share it and how its cache splits under TP.
struct CacheGroup {
  Architecture single;
  std::uint64_t n_layers = 0;
  std::uint64_t split_heads = 1;
};

std::vector<CacheGroup> cache_groups(const Architecture& architecture) {
  std::map<std::pair<const Mixer*, bool>, std::size_t> index;
  std::vector<CacheGroup> groups;
  for (const Layer& layer : architecture.layers) {
    if (!layer.mixer) continue;
    const auto key = std::make_pair(layer.mixer.get(), layer.kv_shared_from.has_value());
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      CacheGroup group;
      group.single = architecture;
      group.single.layers = {layer};
      group.single.dims.n_layers = 1;
      group.split_heads = layer.mixer->cache_split_heads();
      groups.push_back(std::move(group));
    }
    groups[it->second].n_layers += 1;
  }
  return groups;
}

RankCache rank_cache(const std::vector<CacheGroup>& groups, std::uint64_t context,
                     std::uint64_t batch, std::uint64_t tp, const CacheDTypeOverrides& overrides) {
  RankCache cache;
  for (const CacheGroup& group : groups) {
    const MemoryRow row = kv_memory(group.single, {context}, batch, overrides).rows.front();
    const std::uint64_t share = heads_per_rank(group.split_heads, tp);
    auto per_rank = [&](std::uint64_t bytes) {
      return checked_mul(checked_mul(bytes, share, "cache bytes") / group.split_heads,
                         group.n_layers, "cache bytes");
    };
    cache.kv_bytes = checked_add(cache.kv_bytes, per_rank(row.kv_bytes), "KV bytes");
    cache.state_bytes = checked_add(cache.state_bytes, per_rank(row.state_bytes), "state bytes");
  }
  return cache;
}

double bytes_per_weight(DType dtype) { return dtype_bytes_per_element(dtype); }

// Weights one step reads for `tokens` tokens in flight: all but the routed experts, which are
// read only where touched (expected_experts_touched). Whole model, before the TP split.
struct WeightRead {
  double params = 0.0;
  double touched_fraction = 1.0;  // of the MoE layer with the most experts
};

WeightRead weights_read(const Architecture& architecture, double tokens) {
  // A looped or shared layer reads its weights again at every invocation.
  const ParamReport params = model_params(architecture, Invocations::each);
  exact_params_total(architecture, "the weights a step reads");
  double routed_total = 0.0;
  for (const auto& row : params.rows)
    if (row.component == "routed_experts") routed_total += static_cast<double>(row.total);
  // The embedding tables are lookups: subtract them, add back one row per token (the per-layer
  // embedding table of Gemma 3n has rows of n_layers·w). Meta tokens run with the prompt only.
  const ModelDims& dims = architecture.dims;
  double table = 0.0;
  for (const auto& row : params.rows)
    if ((row.component == "embeddings" || row.component == kPerLayerEmbeddingTable ||
         row.component == kMetaTokens) &&
        row.active == 0)
      table += static_cast<double>(row.total);
  WeightRead read;
  read.params =
      static_cast<double>(params.total) - routed_total - table +
      std::min(tokens, static_cast<double>(dims.vocab_size)) * static_cast<double>(dims.d_model);
  if (const auto& ple = dims.per_layer_embeddings)
    read.params += std::min(tokens, static_cast<double>(ple->vocab_size)) *
                   static_cast<double>(dims.n_layers) * static_cast<double>(ple->width);
  std::uint64_t largest = 0;
  for (const Layer& layer : architecture.layers) {
    if (!layer.ffn || layer.ffn->kind != FfnKind::moe) continue;
    const FfnSpec& spec = *layer.ffn;
    const double per_expert =
        static_cast<double>(
            ffn_params(spec, architecture.dims.d_model).total.at("routed_experts")) /
        static_cast<double>(spec.n_experts);
    const double touched = expected_experts_touched(spec.n_experts, spec.top_k, tokens);
    read.params += touched * per_expert;
    if (spec.n_experts > largest) {
      largest = spec.n_experts;
      read.touched_fraction = touched / static_cast<double>(spec.n_experts);
    }
  }
  return read;
}
}  // namespace

double weight_params_read(const Architecture& architecture, double tokens) {
  return weights_read(architecture, tokens).params;
}

namespace {
std::uint64_t blocks(const Architecture& architecture) {
  std::uint64_t n = 0;
  for (const Layer& layer : architecture.layers) n += (layer.mixer ? 1 : 0) + (layer.ffn ? 1 : 0);
  return n;
}

void finish(RooflinePhase& phase, double peak, double bandwidth, double tokens) {
  phase.compute_seconds = phase.flops / peak;
  phase.memory_seconds = phase.bytes.total() / bandwidth;
  phase.tokens_per_second = tokens / phase.seconds();
}
}  // namespace

double expected_experts_touched(std::uint64_t n_experts, std::uint64_t top_k, double tokens) {
  const double E = static_cast<double>(n_experts);
  return E * (1.0 - std::pow(1.0 - static_cast<double>(top_k) / E, tokens));
}

namespace {
// KV bytes that layers reading another layer's cache (kv_shared_from) read on top of every
// layer's own: each reads its owner's whole cache once per step (decode) or over the prompt
// (prefill), though it holds none.
double shared_kv_reads(const Architecture& architecture, std::uint64_t context, std::uint64_t batch,
                       std::uint64_t tp, const CacheDTypeOverrides& overrides) {
  double bytes = 0.0;
  for (const Layer& layer : architecture.layers) {
    if (!layer.kv_shared_from) continue;
    Architecture owner = architecture;
    owner.layers = {architecture.layers[*layer.kv_shared_from]};
    owner.dims.n_layers = 1;
    bytes += static_cast<double>(
        rank_cache(cache_groups(owner), context, batch, tp, overrides).kv_bytes);
  }
  return bytes;
}
}  // namespace

RankCache rank_cache_bytes(const Architecture& architecture, std::uint64_t context,
                           std::uint64_t batch, std::uint64_t tp,
                           const CacheDTypeOverrides& overrides) {
  return rank_cache(cache_groups(architecture), context, batch, tp, overrides);
}

RooflineReport roofline(const Architecture& architecture, const Hardware& hardware,
                        const RooflineOptions& options) {
  ATTNSIM_ASSERT(options.tp > 0 && options.batch > 0, "tp and batch are validated by the CLI");
  RooflineReport report;
  report.name = architecture.name;
  report.hardware = hardware.display_name;
  report.options = options;
  report.peak_flops_per_s = hardware.peak_for(options.compute_dtype);
  report.bandwidth_bytes_per_s = hardware.memory_bandwidth_bytes_per_s;
  const double tp = static_cast<double>(options.tp);
  const double B = static_cast<double>(options.batch);
  const double T = static_cast<double>(options.prefill_tokens);
  const double weight_bytes =
      bytes_per_weight(options.weights_dtype.value_or(architecture.dtypes.weights));
  const double activation_bytes_per_token = static_cast<double>(blocks(architecture)) * 4.0 *
                                            static_cast<double>(architecture.dims.d_model);
  const auto groups = cache_groups(architecture);
  const FlopReport flops =
      model_flops(architecture, options.prefill_tokens, options.context, options.flops);

  // Decode: one token for each of B sequences at context L.
  const WeightRead decode_weights = weights_read(architecture, B);
  report.expected_experts_touched_fraction = decode_weights.touched_fraction;
  report.has_experts =
      std::any_of(architecture.layers.begin(), architecture.layers.end(),
                  [](const Layer& layer) { return layer.ffn && layer.ffn->n_experts > 0; });
  const RankCache decode_cache =
      rank_cache(groups, options.context, options.batch, options.tp, options.cache_dtypes);
  RooflinePhase& decode = report.decode;
  decode.flops = B * flops.decode_total / tp;
  decode.bytes.weight_bytes = decode_weights.params * weight_bytes / tp;
  decode.bytes.kv_bytes = static_cast<double>(decode_cache.kv_bytes) +
                          shared_kv_reads(architecture, options.context, options.batch, options.tp,
                                          options.cache_dtypes);
  decode.bytes.state_bytes = 2.0 * static_cast<double>(decode_cache.state_bytes);
  decode.bytes.activation_bytes = B * activation_bytes_per_token / tp;
  finish(decode, report.peak_flops_per_s, report.bandwidth_bytes_per_s, B);
  report.capacity_bytes = static_cast<double>(hardware.memory_capacity_bytes);
  report.resident_bytes =
      static_cast<double>(exact_params_total(architecture, "the resident weights")) * weight_bytes /
          tp +
      static_cast<double>(decode_cache.kv_bytes + decode_cache.state_bytes);

  // Prefill: B sequences of T tokens from an empty cache.
  const WeightRead prefill_weights = weights_read(architecture, B * T);
  const RankCache prefill_cache =
      rank_cache(groups, options.prefill_tokens, options.batch, options.tp, options.cache_dtypes);
  RooflinePhase& prefill = report.prefill;
  prefill.flops = B * flops.prefill_total / tp;
  prefill.bytes.weight_bytes = prefill_weights.params * weight_bytes / tp;
  // Written by the layers that keep KV, and read again by every layer that reads an owner's
  // (kv_shared_from): a reader's attention takes the prompt's keys and values from the owner's
  // cache, as the measured step time's prefill attention charges it.
  prefill.bytes.kv_bytes = static_cast<double>(prefill_cache.kv_bytes) +
                           shared_kv_reads(architecture, options.prefill_tokens, options.batch,
                                           options.tp, options.cache_dtypes);
  prefill.bytes.state_bytes = static_cast<double>(prefill_cache.state_bytes);
  prefill.bytes.activation_bytes = B * T * activation_bytes_per_token / tp;
  finish(prefill, report.peak_flops_per_s, report.bandwidth_bytes_per_s, B * T);

  if (options.timing == TimingModel::spec) {
    report.timing_note = "datasheet roofline (--timing spec)";
  } else if (!hardware.measurements) {
    report.timing_note =
        fmt::format("datasheet roofline: {} has no measurements (tools/measure_gpu.py writes them)",
                    hardware.name);
  } else {
    const GpuMeasurements& gpu = *hardware.measurements;
    report.timing_model = "measured";
    report.timing_note = fmt::format(
        "measured operation timings ({}; {}), kernels as in a CUDA graph", gpu.device, gpu.file);
    for (auto [phase, ops, tokens] :
         {std::tuple{&report.decode, decode_ops(architecture, options), B},
          std::tuple{&report.prefill, prefill_ops(architecture, options), B * T}}) {
      const StepTime step = time_step(std::move(ops), gpu);
      phase->measured_seconds = step.seconds;
      phase->unmeasured_seconds = step.unmeasured_seconds;
      phase->tokens_per_second = tokens / step.seconds;
    }
  }
  return report;
}

FitBudget fit_budget(const Architecture& architecture, const Hardware& hardware,
                     const FitOptions& options) {
  FitBudget budget;
  budget.capacity_bytes = hardware.memory_capacity_bytes;
  budget.reserve_bytes = static_cast<std::uint64_t>(
      std::ceil(options.activation_reserve_fraction * static_cast<double>(budget.capacity_bytes)));
  const std::uint64_t total_bytes =
      bytes_for_elements(exact_params_total(architecture, "the weights' share of the GPU"),
                         options.weights_dtype.value_or(architecture.dtypes.weights), "weights");
  budget.weight_bytes = (total_bytes + options.tp - 1) / options.tp;
  const std::uint64_t used = checked_add(budget.reserve_bytes, budget.weight_bytes, "bytes");
  budget.cache_budget_bytes = used < budget.capacity_bytes ? budget.capacity_bytes - used : 0;
  return budget;
}

namespace {
// Largest x in [1, limit] with bytes(x) ≤ budget, for bytes monotone in x (binary search).
template <typename Bytes>
FitResult largest_fitting(const FitBudget& budget, std::uint64_t limit, Bytes bytes) {
  FitResult result;
  result.budget = budget;
  result.limit = limit;
  std::uint64_t lo = 0, hi = limit;  // invariant: lo fits (or is 0), everything above hi does not
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (bytes(mid) <= budget.cache_budget_bytes)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo > 0) {
    result.value = lo;
    result.cache_bytes_at_value = bytes(lo);
  }
  return result;
}
}  // namespace

FitResult fit_context(const Architecture& architecture, const Hardware& hardware,
                      const FitOptions& options, std::uint64_t batch, std::uint64_t max_context) {
  const auto groups = cache_groups(architecture);
  return largest_fitting(
      fit_budget(architecture, hardware, options), max_context, [&](std::uint64_t context) {
        const RankCache c = rank_cache(groups, context, batch, options.tp, options.cache_dtypes);
        return checked_add(c.kv_bytes, c.state_bytes, "cache bytes");
      });
}

FitResult fit_batch(const Architecture& architecture, const Hardware& hardware,
                    const FitOptions& options, std::uint64_t context, std::uint64_t max_batch) {
  const auto groups = cache_groups(architecture);
  return largest_fitting(
      fit_budget(architecture, hardware, options), max_batch, [&](std::uint64_t batch) {
        const RankCache c = rank_cache(groups, context, batch, options.tp, options.cache_dtypes);
        return checked_add(c.kv_bytes, c.state_bytes, "cache bytes");
      });
}

}  // namespace attnsim
