// Execution of one layer's mixer core in `attnsim simulate`: the layer's reference session
// (mixers/reference.h) driven with random inputs; nothing here names a mixer kind.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/document.h"
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
};

using Rng = std::mt19937_64;

// Runs the reference session of `mixer` (its kind's facet, mixers/reference.h) with random
// inputs drawn per its signature: a prefill of plan.tokens in the form the cost model counts,
// then plan.decode_steps single tokens; nullopt when the instance has no reference form. A kind
// without a facet yet runs through run_mixer on its instance map `node`.
std::optional<LayerRun> run_layer(const Mixer& mixer, const config::Node& node,
                                  const std::string& path, const RunPlan& plan, Rng& rng);

// The per-kind executions of kinds without a facet yet (issue 11 converts them; then these go).
// Runs the core of the mixer instance `mixer` (its map in the scaled document) with random
// inputs and weights; nullopt when this variant has no kernel (chunked local attention).
using KindExecution = std::optional<LayerRun> (*)(const config::Node& mixer,
                                                  const std::string& path, const RunPlan& plan,
                                                  Rng& rng);

struct SimKind {
  std::string_view kind;
  KindExecution run;
};

// Kinds with a reference kernel; a kind not listed is reported as not executed.
const std::vector<SimKind>& sim_kinds();
const SimKind* find_sim_kind(std::string_view kind);
// Dispatches on the `kind:` of `mixer`; nullopt when the kind has no reference kernel.
std::optional<LayerRun> run_mixer(const config::Node& mixer, const std::string& path,
                                  const RunPlan& plan, Rng& rng);

// Random inputs: N(0, 1) entries of the given shape, and uniform entries in [low, high).
Tensor random_normal(std::vector<std::int64_t> dims, Rng& rng);
Tensor random_uniform(std::vector<std::int64_t> dims, double low, double high, Rng& rng);
// A depthwise causal short conv (kernel k) over `channels` channels, token by token: it keeps
// the last k−1 inputs per channel (the conv state) and counts k multiply-adds per channel and
// token under "conv", as the cost model does.
class ShortConv {
 public:
  ShortConv(std::int64_t channels, std::int64_t kernel, Rng& rng);
  // x [1, T, channels] → y [1, T, channels].
  Tensor run(const Tensor& x, OpCounts& counts);
  std::int64_t state_elements() const { return static_cast<std::int64_t>(state_.size()); }

 private:
  std::int64_t channels_;
  std::int64_t kernel_;
  Tensor weights_;             // [channels, k]
  std::vector<double> state_;  // the last k−1 inputs, [k−1, channels], oldest first
};

}  // namespace attnsim::sim
