// Execution of one layer's mixer core in `attnsim simulate`: the layer's reference session
// (mixers/reference.h) driven with random inputs; nothing here names a mixer kind.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/mixer.h"

namespace attnsim::sim {

// A prefill of `tokens` tokens from an empty cache, then `decode_steps` single-token steps;
// linear/SSM prefill runs chunked with chunks of `chunk` (the last one shorter).
struct RunPlan {
  std::int64_t tokens = 0;
  std::int64_t decode_steps = 0;
  std::int64_t chunk = 8;
  // For a layer that reuses an earlier layer's top-k selection (Layer::selection_from): that
  // layer's selections, one per step (the prefill, then each decode step).
  const std::vector<IndexTensor>* reused_selections = nullptr;
  // Cross-layer KV reuse (Layer::kv_shared_from): a layer that a later one reads keeps, per step,
  // the keys and values it attended to (LayerRun::attended_kv); the reading layer is given them,
  // one set per step, with its queries.
  bool shares_kv = false;
  const std::vector<reference::Tensors>* shared_kv = nullptr;
};

// One tensor the kernels hold after the last step, in its cache role; `dtype` as in CacheTerm.
struct KeptTensor {
  std::string name;
  CacheRole role = CacheRole::kv;
  std::int64_t elements = 0;
  std::optional<DType> dtype;
  // Bytes of the file's storage format that a float64 kernel does not hold (DSA's per-token
  // FP8 key scales), added from the mixer's own key_scale_bytes_per_token × tokens kept.
  std::uint64_t format_bytes = 0;
};

struct LayerRun {
  OpCounts prefill;
  OpCounts decode;  // summed over the decode steps
  std::vector<KeptTensor> kept;
  std::vector<IndexTensor> selections;  // a layer that makes a top-k selection: one per step
  std::vector<reference::Tensors> attended_kv;  // RunPlan::shares_kv: one per step
};

using Rng = std::mt19937_64;

// Runs the reference session of `mixer` (its kind's facet, mixers/reference.h) with random
// inputs drawn per its signature: a prefill of plan.tokens in the form the cost model counts,
// then plan.decode_steps single tokens; nullopt when the instance has no reference form.
std::optional<LayerRun> run_layer(const Mixer& mixer, const RunPlan& plan, Rng& rng);

}  // namespace attnsim::sim
