// Capacity as a serving engine reports it at start-up: how many tokens of KV cache fit on one GPU
// beside the weights, and how many requests of L tokens at once. vLLM prints "GPU KV cache size:
// N tokens" and "Maximum concurrency for L tokens per request: X×"; the paper minimum's answer is
// the same question asked of cost/memory.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cost/engine.h"
#include "cost/hardware.h"

namespace attnsim {

struct CapacityOptions {
  std::uint64_t tp = 1;                         // tensor-parallel ranks; capacity is per rank
  std::optional<DType> weights_dtype;           // default: the architecture's
  double memory_fraction = 0.9;                 // vLLM --gpu-memory-utilization (default 0.9)
  std::uint64_t max_model_len = 0;              // L, the tokens per request
  std::uint64_t max_num_batched_tokens = 8192;  // vLLM's scheduler budget (sliding windows)
  CacheDTypeOverrides cache_dtypes;
  std::optional<std::uint64_t> cuda_sm;  // the GPU's, for hardware-dependent engine defaults
};

struct Capacity {
  std::uint64_t budget_bytes = 0;  // fraction × capacity − weights per rank (0 if they do not fit)
  std::uint64_t weight_bytes = 0;  // per rank
  std::uint64_t tokens = 0;        // "GPU KV cache size: N tokens"
  double max_concurrency = 0.0;    // requests of max_model_len tokens at once
  std::uint64_t num_blocks = 0;    // vLLM: pages per layer in the pool (0 for the paper minimum)
  std::uint64_t blocks_per_request = 0;
};

// The paper minimum: requests = budget / (KV at L + state) per rank, tokens = ⌊requests × L⌋.
Capacity paper_capacity(const Architecture& architecture, const Hardware& hardware,
                        const CapacityOptions& options);

// vLLM v1 (kv_cache_utils.py): layers grouped by cache type into groups of equal size g, the pool
// holds ⌊budget / page / g⌋ pages per layer; a request of L tokens needs Σ over groups of its
// group's max_memory_usage_bytes / page pages (full attention cdiv(L, B), sliding
// cdiv(min(W − 1 + batched, L), B) + 1, a state page 1); concurrency = pages / that,
// tokens = ⌊concurrency × L⌋. Absent (with `why`) where the layers' page sizes differ, which vLLM
// resolves in ways not modelled.
std::optional<Capacity> vllm_capacity(const Architecture& architecture, const Hardware& hardware,
                                      const EngineProfile& engine, const CapacityOptions& options,
                                      std::string* why = nullptr);

}  // namespace attnsim
