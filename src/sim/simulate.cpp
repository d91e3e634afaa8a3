// Runs every layer's mixer core of a scaled architecture and gathers measured vs predicted.
#include "sim/simulate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "cost/flops.h"
#include "cost/memory.h"
#include "graph/load.h"
#include "sim/execution.h"

namespace attnsim::sim {

namespace {

struct Measured {
  std::uint64_t n_layers = 0;
  bool executed = true;
  std::uint64_t kv_bytes = 0;
  std::uint64_t state_bytes = 0;
  FlopCounts prefill;
  FlopCounts decode;
};

DType role_dtype(const KeptTensor& kept, const CacheDTypes& dtypes) {
  if (kept.dtype) return *kept.dtype;
  const std::optional<DType>& dtype = dtypes.for_role(kept.role);
  ATTNSIM_ASSERT(dtype.has_value(), "the loader checks that every cache role has a dtype");
  return *dtype;
}

void add_kept(Measured& measured, const LayerRun& run, const CacheDTypes& dtypes) {
  for (const KeptTensor& kept : run.kept) {
    const std::uint64_t bytes =
        checked_add(bytes_for_elements(static_cast<std::uint64_t>(kept.elements),
                                       role_dtype(kept, dtypes), "simulated cache bytes"),
                    kept.format_bytes, "simulated cache bytes");
    std::uint64_t& total = kept.role == CacheRole::kv ? measured.kv_bytes : measured.state_bytes;
    total = checked_add(total, bytes, "simulated cache bytes");
  }
}

bool skipped(const std::string& operation) {
  const auto& names = skipped_operations();
  return std::find(names.begin(), names.end(), operation) != names.end();
}

// Core operations of one layer kind from a model_flops report (prefill or decode column).
FlopCounts predicted_core(const FlopReport& report, const std::string& kind, bool prefill) {
  FlopCounts flops;
  for (const FlopRow& row : report.rows)
    if (row.group == kind && !skipped(row.operation))
      flops[row.operation] += prefill ? row.prefill : row.decode;
  return flops;
}

void add_flop_rows(SimulationReport& report, const std::string& kind, const Measured& measured,
                   const std::string& phase, const FlopCounts& measured_flops,
                   const FlopCounts& predicted) {
  std::set<std::string> operations;
  for (const auto& [operation, value] : measured_flops) operations.insert(operation);
  for (const auto& [operation, value] : predicted) operations.insert(operation);
  for (const std::string& operation : operations) {
    SimRow row{kind, measured.n_layers, fmt::format("{} {}", phase, operation), measured.executed};
    if (const auto found = measured_flops.find(operation); found != measured_flops.end())
      row.measured = found->second;
    if (const auto found = predicted.find(operation); found != predicted.end())
      row.predicted = found->second;
    report.rows.push_back(row);
  }
}

}  // namespace

const std::vector<std::string>& skipped_operations() {
  static const std::vector<std::string> names = {"projections", "indexer", "compressor"};
  return names;
}

bool SimulationReport::all_ok() const {
  return std::all_of(rows.begin(), rows.end(), [](const SimRow& row) { return row.ok(); });
}

SimulationReport simulate(const std::string& name_or_path, const SimulateOptions& options) {
  ATTNSIM_ASSERT(options.tokens >= 1 && options.decode_steps >= 0 && options.chunk >= 1,
                 "the CLI validates T, D and C");
  const auto file = resolve_architecture(name_or_path);
  const config::Node document = scale_document(load_resolved_document(file), options.scale);
  const Architecture architecture =
      build_architecture(document, file.stem().string(), file.string());
  SimulationReport report;
  report.name = architecture.name;
  report.scaled = fmt::format("N={} S={}", options.scale.dims, options.scale.spans);
  report.options = options;
  report.skipped = skipped_operations();
  for (const auto& [name, mixer] : architecture.mixers)
    report.instances.push_back(fmt::format("{}: {} {}", name, mixer->kind(), mixer->describe()));

  const RunPlan plan{options.tokens, options.decode_steps, options.chunk};
  Rng rng(options.seed);
  std::map<std::string, Measured> by_kind;
  std::map<std::size_t, std::vector<IndexTensor>> selections;  // by the layer that made them
  std::set<std::size_t> kv_owners;  // layers whose KV cache a later layer reads
  for (const Layer& layer : architecture.layers)
    if (layer.kv_shared_from) kv_owners.insert(*layer.kv_shared_from);
  std::map<std::size_t, std::vector<reference::Tensors>> attended;  // by the owning layer
  for (const Layer& layer : architecture.layers) {
    if (!layer.mixer) continue;
    Measured& measured = by_kind[layer.mixer->layer_kind()];
    ++measured.n_layers;
    RunPlan layer_plan = plan;
    if (layer.selection_from) layer_plan.reused_selections = &selections.at(*layer.selection_from);
    layer_plan.shares_kv = kv_owners.contains(layer.index);
    if (layer.kv_shared_from) {
      const auto owner = attended.find(*layer.kv_shared_from);
      // An owner without a reference kernel leaves nothing to read: the reader is not run.
      if (owner == attended.end()) {
        measured.executed = false;
        continue;
      }
      layer_plan.shared_kv = &owner->second;
    }
    auto run = run_layer(*layer.mixer, layer_plan, rng);
    if (run && !run->selections.empty()) selections[layer.index] = std::move(run->selections);
    if (!run) {
      measured.executed = false;
      continue;
    }
    if (layer_plan.shares_kv) attended[layer.index] = std::move(run->attended_kv);
    // A layer reading an earlier layer's KV cache keeps none: its session holds nothing.
    add_kept(measured, *run, architecture.dtypes);
    measured.prefill = combined(measured.prefill, run->prefill.flops());
    measured.decode = combined(measured.decode, run->decode.flops());
  }

  const auto T = static_cast<std::uint64_t>(options.tokens);
  const auto D = static_cast<std::uint64_t>(options.decode_steps);
  // The kernels run the sequence's T + D tokens only: the model's meta tokens, which every KV
  // also keeps, are left out of the comparison (and named in the notes).
  Architecture without_meta = architecture;
  if (architecture.dims.meta_tokens) {
    report.skipped.push_back(
        fmt::format("the {} meta tokens every KV keeps", *architecture.dims.meta_tokens));
    without_meta.dims.meta_tokens.reset();
  }
  const MemoryReport memory = kv_memory(without_meta, {T + D}, 1);
  FlopOptions flop_options;
  flop_options.chunk = static_cast<std::uint64_t>(options.chunk);
  const FlopReport prefill = model_flops(architecture, T, T + 1, flop_options);
  std::vector<FlopReport> decode_steps;
  for (std::uint64_t step = 1; step <= D; ++step)
    decode_steps.push_back(model_flops(architecture, T, T + step, flop_options));

  for (const auto& entry : by_kind) {
    // Named copies: clang 14 cannot capture structured bindings in the lambda below.
    const std::string& kind = entry.first;
    const auto& measured = entry.second;
    const auto memory_row =
        std::find_if(memory.rows.front().by_kind.begin(), memory.rows.front().by_kind.end(),
                     [&](const KindMemory& row) { return row.layer_kind == kind; });
    ATTNSIM_ASSERT(memory_row != memory.rows.front().by_kind.end(),
                   "kv_memory has a row for every layer kind");
    report.rows.push_back({kind, measured.n_layers, "kv bytes", measured.executed,
                           static_cast<double>(measured.kv_bytes),
                           static_cast<double>(memory_row->kv_bytes)});
    report.rows.push_back({kind, measured.n_layers, "state bytes", measured.executed,
                           static_cast<double>(measured.state_bytes),
                           static_cast<double>(memory_row->state_bytes)});
    add_flop_rows(report, kind, measured, "prefill", measured.prefill,
                  predicted_core(prefill, kind, true));
    FlopCounts decode;
    for (const FlopReport& step : decode_steps)
      decode = combined(decode, predicted_core(step, kind, false));
    add_flop_rows(report, kind, measured, "decode", measured.decode, decode);
  }
  return report;
}

}  // namespace attnsim::sim
