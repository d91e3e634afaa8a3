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

// vLLM's --mamba-cache-mode: how many state pages one request of a hybrid or recurrent model
// holds (MambaSpec.max_memory_usage_bytes, vllm/v1/kv_cache_interface.py @ 001cabc1): 'none' one
// (prefix caching off), 'align' two (prefix caching on: the running state and the last
// block-aligned one), 'all' one per block of the request, cdiv(L, block).
enum class MambaCacheMode { none, align, all };

// How vLLM's "GPU KV cache size: N tokens" line counts (kv_cache_utils.py,
// _report_kv_cache_config / report_kv_cache_config): up to at least v0.19.0 (the copy @
// 001cabc1be16a59a70d720ed61a13b678c060a18 and vllm-project/vllm#40691) N = num_blocks //
// groups × the smallest block; by v0.24.0 N = ⌊max concurrency × L⌋ (the fix proposed in
// vllm-project/vllm#38364 and #40694; v0.24.0 logs in noonghunna/club-3090#652 obey it).
enum class KvSizeLine { concurrency, per_group };

struct CapacityOptions {
  std::uint64_t tp = 1;                // tensor-parallel ranks; capacity is per rank
  std::optional<DType> weights_dtype;  // default: the architecture's
  // vLLM --gpu-memory-utilization (default 0.9); SGLang --mem-fraction-static.
  double memory_fraction = 0.9;
  // Memory the engine measures at start-up beside weights and cache (vLLM's log: non_torch_memory
  // + PyTorch activation peak), subtracted from the budget; 0 gives the upper bound.
  std::uint64_t reserved_bytes = 0;
  // vLLM's logged "Available KV cache memory" (per rank), what is left after its own profiling:
  // given, it is the budget, and the fraction, weights and reserved bytes play no part.
  std::optional<std::uint64_t> kv_memory_bytes;
  MambaCacheMode mamba_cache_mode = MambaCacheMode::none;
  // vLLM speculative decoding with the model's own MTP modules (speculative_config {method: mtp,
  // num_speculative_tokens: N}): the modules' layers join the KV pool, and each recurrent layer
  // keeps N more conv columns and N more state pages per request. 0: none.
  std::uint64_t mtp_speculative_tokens = 0;
  KvSizeLine kv_size_line = KvSizeLine::concurrency;
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
  std::uint64_t groups = 0;  // vLLM: KV cache groups (cache types split into equal groups)
  // SGLang only (0 elsewhere): the bytes per token its profiler divides the budget by (all
  // attention layers), max_running_requests, the recurrent-state pool of a hybrid model
  // (max_mamba_cache_size) and the sliding-window pool of a hybrid-SWA model (swa_layer_tokens).
  std::uint64_t cell_bytes = 0;
  std::uint64_t max_running_requests = 0;
  std::uint64_t state_slots = 0;
  std::uint64_t window_tokens = 0;
};

// The paper minimum: requests = budget / (KV at L + state) per rank, tokens = ⌊requests × L⌋.
Capacity paper_capacity(const Architecture& architecture, const Hardware& hardware,
                        const CapacityOptions& options);

// vLLM v1 (kv_cache_utils.py): layers grouped by cache type into groups of equal size g, the pool
// holds ⌊budget / page / g⌋ pages per layer; a request of L tokens needs Σ over groups of its
// group's max_memory_usage_bytes / page pages (full attention cdiv(L, B), sliding
// cdiv(min(W − 1 + batched, L), B) + 1, state pages by MambaCacheMode); concurrency = pages /
// that; tokens = ⌊concurrency × L⌋ or num_blocks // groups × the smallest block (KvSizeLine).
// Absent (with `why`) where the layers' page sizes differ, which vLLM resolves in ways not
// modelled.
std::optional<Capacity> vllm_capacity(const Architecture& architecture, const Hardware& hardware,
                                      const EngineProfile& engine, const CapacityOptions& options,
                                      std::string* why = nullptr);

// SGLang's default --mem-fraction-static for a GPU of `capacity_bytes` at `tp` ranks
// (server_args.py, _handle_gpu_memory_settings): 1 − reserved / GPU memory in MiB, rounded to
// three decimals, where reserved = 512 + 1.5 · chunked_prefill_size + 2 · cuda_graph_max_bs +
// 1024 · tp / 8 MiB, at least 10 GiB on GPUs above 60 GiB.
double sglang_default_memory_fraction(std::uint64_t capacity_bytes, std::uint64_t tp);

// SGLang (model_runner_kv_cache_mixin.py @ 226149ac, profile_max_num_token and init_memory):
// max_total_num_tokens = ⌊budget / cell⌋ rounded down to whole pages, the cell being the bytes
// per token of every attention layer as its profiler counts them (MLA: Dc + Dr elements in the
// KV dtype, DSA indexer keys beside them). A hybrid linear model first gives the state pool
// r / (1 + r) of the budget (mamba_full_memory_ratio r = 0.9): ⌊that / state per request⌋
// slots. A hybrid-SWA model splits the tokens between a full pool and a window pool of
// swa_full_tokens_ratio = 0.8 times as many tokens. max_running_requests = min(max(⌊tokens /
// L · 512⌋, 2048), 4096), and at most slots / state_slots_per_sequence for a hybrid.
// max_concurrency = min(tokens / L, max_running_requests) (window pool: tokens / min(L, W)).
std::optional<Capacity> sglang_capacity(const Architecture& architecture, const Hardware& hardware,
                                        const EngineProfile& engine, const CapacityOptions& options,
                                        std::string* why = nullptr);

}  // namespace attnsim
