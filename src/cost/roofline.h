// Memory traffic and roofline of one decode step and of one prefill on a hardware preset, per
// tensor-parallel rank; and `fit`: the largest context (or batch) whose weights, KV cache,
// recurrent state and an activation reserve fit in one accelerator's memory.
//
// Model (written out so that every figure can be checked by hand):
// - FLOPs: cost/flops.h (× batch), split evenly over tp ranks.
// - Weights read: every non-routed weight once per step; routed experts only where touched.
//   A batch of n tokens routed uniformly and independently, each to k of E experts, touches
//   E·(1 − (1 − k/E)^n) distinct experts per MoE layer in expectation (each expert is missed
//   by one token with probability 1 − k/E). The input embedding is a lookup (n rows read).
//   Under TP (or expert parallelism) each rank holds and reads 1/tp of every weight.
// - KV and state under TP: a mixer's cache splits over its cache_split_heads() n: each rank
//   keeps max(1, n/tp)/n of it (GQA kv heads replicate when tp > Hkv; MLA's latent, n = 1,
//   is replicated on every rank; linear/SSM states split by head).
// - Decode: KV read in full at context L, state read and written once, per sequence.
//   Prefill: KV written once (FlashAttention keeps its re-reads on chip), state written once.
// - Activations: every block reads its input and writes its output once per token, 2·D
//   values in bf16 (4·D bytes); communication between ranks is not modelled.
// - time = max(FLOPs / peak, bytes / bandwidth); the larger term is the bound ("spec").
// - With `timing = measured` and a preset that has measurements, the step times are the
//   measured time model's instead (cost/step_time.h: the step as kernels, each timed from the
//   GPU's measured tables); the spec times are kept beside them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cost/flops.h"
#include "cost/hardware.h"
#include "cost/memory.h"
#include "graph/architecture.h"

namespace attnsim {

// Which model gives the step times: the preset's measured operation timings (when it has them;
// otherwise the spec roofline, and the report says so) or the datasheet roofline.
enum class TimingModel { measured, spec };

struct RooflineOptions {
  std::uint64_t tp = 1;
  std::uint64_t batch = 1;
  std::uint64_t context = 4096;         // L of the decode step
  std::uint64_t prefill_tokens = 4096;  // T of each prefilled sequence
  std::string compute_dtype = "bf16";   // which peak of the preset the matmuls run at
  std::optional<DType> weights_dtype;   // default: the architecture's
  CacheDTypeOverrides cache_dtypes;
  FlopOptions flops;
  TimingModel timing = TimingModel::measured;
};

struct Traffic {
  double weight_bytes = 0.0;
  double kv_bytes = 0.0;     // read (decode) or written (prefill)
  double state_bytes = 0.0;  // read + written
  double activation_bytes = 0.0;
  double total() const { return weight_bytes + kv_bytes + state_bytes + activation_bytes; }
};

struct RooflinePhase {
  double flops = 0.0;  // per rank
  Traffic bytes;       // per rank
  double compute_seconds = 0.0;
  double memory_seconds = 0.0;
  // Measured time model (cost/step_time.h), when it was used; `unmeasured_seconds` is the part
  // of it from operations outside the measured tables (timed by the roofline at measured peaks).
  std::optional<double> measured_seconds;
  double unmeasured_seconds = 0.0;
  double spec_seconds() const {
    return compute_seconds > memory_seconds ? compute_seconds : memory_seconds;
  }
  double seconds() const { return measured_seconds.value_or(spec_seconds()); }
  bool memory_bound() const { return memory_seconds >= compute_seconds; }
  double arithmetic_intensity() const { return flops / bytes.total(); }  // FLOP per byte
  double tokens_per_second = 0.0;
};

struct RooflineReport {
  std::string name;
  std::string hardware;
  RooflineOptions options;
  double peak_flops_per_s = 0.0;
  double bandwidth_bytes_per_s = 0.0;
  // "measured" or "spec", and a sentence saying where the times come from.
  std::string timing_model = "spec";
  std::string timing_note;
  bool has_experts = false;                        // some layer has a routed-expert FFN
  double expected_experts_touched_fraction = 1.0;  // decode, of the largest MoE layer; 1 if dense
  // Per rank: all weights (every expert resident) + the decode step's KV and state, against the
  // preset's capacity. The roofline does not require it to fit; the report says when it does not.
  double resident_bytes = 0.0;
  double capacity_bytes = 0.0;
  RooflinePhase decode;   // one step of `batch` sequences at context L
  RooflinePhase prefill;  // `batch` sequences of T tokens
};

RooflineReport roofline(const Architecture& architecture, const Hardware& hardware,
                        const RooflineOptions& options);

// Parameters one step with `tokens` tokens in flight reads (whole model, before the TP split):
// every weight but the routed experts and the embedding table, the touched experts and one
// embedding row per token.
double weight_params_read(const Architecture& architecture, double tokens);

// E·(1 − (1 − k/E)^n): expected distinct experts that n tokens touch.
double expected_experts_touched(std::uint64_t n_experts, std::uint64_t top_k, double tokens);

struct FitOptions {
  std::uint64_t tp = 1;
  std::optional<DType> weights_dtype;
  CacheDTypeOverrides cache_dtypes;
  double activation_reserve_fraction = 0.1;  // of capacity, kept free for activations/workspace
};

struct FitBudget {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t reserve_bytes = 0;
  std::uint64_t weight_bytes = 0;        // per rank, all experts resident
  std::uint64_t cache_budget_bytes = 0;  // capacity − reserve − weights (0 when they do not fit)
};

struct FitResult {
  FitBudget budget;
  // Largest value found in [1, limit]; absent when even 1 does not fit.
  std::optional<std::uint64_t> value;
  std::uint64_t limit = 0;                 // the search bound (a max context or batch), reported
  std::uint64_t cache_bytes_at_value = 0;  // per rank
};

FitBudget fit_budget(const Architecture& architecture, const Hardware& hardware,
                     const FitOptions& options);
// Largest context at `batch` (searched up to `max_context`).
FitResult fit_context(const Architecture& architecture, const Hardware& hardware,
                      const FitOptions& options, std::uint64_t batch, std::uint64_t max_context);
// Largest batch at `context` (searched up to `max_batch`).
FitResult fit_batch(const Architecture& architecture, const Hardware& hardware,
                    const FitOptions& options, std::uint64_t context, std::uint64_t max_batch);

// Per-rank KV + state bytes of `batch` sequences at `context` under tensor parallelism `tp`.
struct RankCache {
  std::uint64_t kv_bytes = 0;
  std::uint64_t state_bytes = 0;
};
RankCache rank_cache_bytes(const Architecture& architecture, std::uint64_t context,
                           std::uint64_t batch, std::uint64_t tp,
                           const CacheDTypeOverrides& overrides);

}  // namespace attnsim
