// Start-up capacity lines: the KV budget beside the weights, and the tokens and concurrent
// requests an engine's pool holds in it (vLLM v1's arithmetic) or the paper minimum would.
#include "cost/capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "cost/params.h"
#include "cost/roofline.h"

namespace attnsim {

namespace {
std::uint64_t cdiv(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

// fraction × capacity − weights on one rank (0 when the weights alone do not fit).
Capacity budget(const Architecture& architecture, const Hardware& hardware,
                const CapacityOptions& options) {
  ATTNSIM_ASSERT(options.tp > 0 && options.max_model_len > 0, "a rank and a request length");
  Capacity capacity;
  const std::uint64_t total =
      bytes_for_elements(exact_params_total(architecture, "the weights' share of the GPU"),
                         options.weights_dtype.value_or(architecture.dtypes.weights), "weights");
  capacity.weight_bytes = cdiv(total, options.tp);
  // Rounded down like vLLM's requested_memory = total_memory × gpu_memory_utilization.
  const auto usable = static_cast<std::uint64_t>(
      std::floor(options.memory_fraction * static_cast<double>(hardware.memory_capacity_bytes)));
  const std::uint64_t taken =
      checked_add(capacity.weight_bytes, options.reserved_bytes, "weights and reserved bytes");
  capacity.budget_bytes = usable > taken ? usable - taken : 0;
  if (options.kv_memory_bytes) capacity.budget_bytes = *options.kv_memory_bytes;
  return capacity;
}

// One cache type of vLLM's grouping (a KVCacheSpec type): its page and what one request of
// max_model_len tokens needs of it.
struct CacheType {
  std::uint64_t page_bytes = 0;
  std::uint64_t max_request_bytes = 0;
  std::uint64_t layers = 0;
  std::uint64_t block_tokens = 0;
};

// MambaSpec.max_memory_usage_bytes in state pages (kv_cache_interface.py @ 001cabc1).
// num_speculative_blocks = the speculative tokens (MambaBase.get_kv_cache_spec).
std::uint64_t state_pages(MambaCacheMode mode, std::uint64_t slots, std::uint64_t max_model_len,
                          std::uint64_t block_tokens, std::uint64_t speculative) {
  switch (mode) {
    case MambaCacheMode::none:
      return slots + speculative;
    case MambaCacheMode::align:
      return 2 + speculative;
    case MambaCacheMode::all:
      return cdiv(max_model_len, block_tokens);
  }
  ATTNSIM_ASSERT(false, "a mamba cache mode");
  return 0;
}
}  // namespace

Capacity paper_capacity(const Architecture& architecture, const Hardware& hardware,
                        const CapacityOptions& options) {
  Capacity capacity = budget(architecture, hardware, options);
  const RankCache one =
      rank_cache_bytes(architecture, options.max_model_len, 1, options.tp, options.cache_dtypes);
  const std::uint64_t per_request = checked_add(one.kv_bytes, one.state_bytes, "bytes");
  if (per_request == 0) return capacity;
  capacity.max_concurrency =
      static_cast<double>(capacity.budget_bytes) / static_cast<double>(per_request);
  // ⌊budget / per request × L⌋ in exact integers: budget × L fits in 64 bits for any real GPU.
  capacity.tokens =
      checked_mul(capacity.budget_bytes, options.max_model_len, "tokens") / per_request;
  return capacity;
}

std::optional<Capacity> vllm_capacity(const Architecture& architecture, const Hardware& hardware,
                                      const EngineProfile& engine, const CapacityOptions& options,
                                      std::string* why) {
  const auto fail = [&](std::string reason) -> std::optional<Capacity> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  Capacity capacity = budget(architecture, hardware, options);
  const std::uint64_t L = options.max_model_len;
  // vLLM keeps an attention part and a state part of one decoder layer (Falcon-H1) as two layers
  // with their own specs; each distinct (page, per-request need) is one spec type.
  std::map<std::pair<std::uint64_t, std::uint64_t>, CacheType> types;
  const auto add = [&](std::uint64_t page, std::uint64_t need, std::uint64_t block) {
    CacheType& type = types[{page, need}];
    type.page_bytes = page;
    type.max_request_bytes = need;
    type.block_tokens = block;
    type.layers += 1;
  };
  // The MTP modules a speculative run drafts with keep KV in the same pool.
  if (options.mtp_speculative_tokens > 0 && !architecture.mtp)
    return fail("no MTP modules to draft with");
  for (const LayerCache& layer : engine_layers(
           options.mtp_speculative_tokens > 0 ? with_mtp_layers(architecture) : architecture,
           engine, options.cache_dtypes, options.cuda_sm, options.tp,
           options.mtp_speculative_tokens)) {
    const std::uint64_t block = layer.block_tokens;
    if (!layer.growing.empty()) {
      const LayerCache::Growing& first = layer.growing.front();
      for (const auto& term : layer.growing)
        if (term.max_tokens != first.max_tokens || term.sliding != first.sliding)
          return fail("a layer whose cache terms are capped differently");
      if (first.max_tokens && !first.sliding)
        return fail("chunked-local layers (vLLM's ChunkedLocalAttentionSpec was not read)");
      const std::uint64_t page = checked_mul(block, layer.kv_bytes_per_token(), "page bytes");
      // SlidingWindowSpec: min(W − 1 + max_num_batched_tokens, L) tokens and one block for a
      // window that does not start on a block boundary; FullAttentionSpec / MLA: all L tokens.
      const std::uint64_t blocks =
          first.max_tokens
              ? cdiv(std::min(*first.max_tokens - 1 + options.max_num_batched_tokens, L), block) + 1
              : cdiv(L, block);
      add(page, checked_mul(blocks, page, "request bytes"), block);
    }
    if (layer.state_bytes_per_slot > 0)  // MambaSpec: its block is the unified attention block
      add(layer.state_bytes_per_slot,
          checked_mul(layer.state_bytes_per_slot,
                      state_pages(options.mamba_cache_mode, engine.state_slots_per_sequence, L,
                                  block, options.mtp_speculative_tokens),
                      "state"),
          block);
  }
  if (types.empty()) return fail("no cache");
  const std::uint64_t page = types.begin()->second.page_bytes;
  for (const auto& [key, type] : types)
    if (type.page_bytes != page)
      return fail(
          fmt::format("cache pages of different sizes ({} and {} B), which vLLM unifies "
                      "in ways not modelled",
                      page, type.page_bytes));
  // _get_kv_cache_groups_uniform_page_size: groups of the smallest type's layer count, or of the
  // largest when that is under 1.5 × the smallest (kv_cache_utils.py @ 001cabc1; an older copy
  // had 1.25); each type split into cdiv(n, g) groups.
  std::uint64_t fewest = types.begin()->second.layers, most = fewest;
  for (const auto& [key, type] : types) {
    fewest = std::min(fewest, type.layers);
    most = std::max(most, type.layers);
  }
  const std::uint64_t group_size = 2 * most < 3 * fewest ? most : fewest;  // most < 1.5 × fewest
  std::uint64_t request_bytes = 0;  // Σ over groups of their spec's max_memory_usage_bytes
  std::uint64_t smallest_block = types.begin()->second.block_tokens;
  for (const auto& [key, type] : types) {
    const std::uint64_t groups = cdiv(type.layers, group_size);
    capacity.groups += groups;
    request_bytes =
        checked_add(request_bytes, checked_mul(groups, type.max_request_bytes, "bytes"), "bytes");
    smallest_block = std::min(smallest_block, type.block_tokens);
  }
  capacity.num_blocks = capacity.budget_bytes / page / group_size;
  capacity.blocks_per_request = cdiv(request_bytes, page);
  capacity.max_concurrency =
      static_cast<double>(capacity.num_blocks) / static_cast<double>(capacity.blocks_per_request);
  capacity.tokens =
      options.kv_size_line == KvSizeLine::per_group
          ? checked_mul(capacity.num_blocks / capacity.groups, smallest_block, "tokens")
          : checked_mul(capacity.num_blocks, L, "tokens") / capacity.blocks_per_request;
  return capacity;
}

double sglang_default_memory_fraction(std::uint64_t capacity_bytes, std::uint64_t tp) {
  const double mib = static_cast<double>(capacity_bytes) / 1048576.0;
  // The GPU-memory buckets' chunked_prefill_size and cuda_graph_max_bs (the latter by tp).
  double chunked_prefill = 16384, graph_batch = 512;
  if (mib < 20 * 1024) {
    chunked_prefill = 2048, graph_batch = 8;
  } else if (mib < 35 * 1024) {
    chunked_prefill = 2048, graph_batch = tp < 4 ? 24 : 80;
  } else if (mib < 60 * 1024) {
    chunked_prefill = 4096, graph_batch = tp < 4 ? 32 : 160;
  } else if (mib < 160 * 1024) {
    chunked_prefill = 8192, graph_batch = tp < 4 ? 256 : 512;
  }
  double reserved = 512 + std::max(chunked_prefill, 2048.0) * 1.5 + graph_batch * 2 +
                    static_cast<double>(tp) / 8 * 1024;
  if (mib > 60 * 1024) reserved = std::max(reserved, 10.0 * 1024);
  return std::round((mib - reserved) / mib * 1000) / 1000;
}

std::optional<Capacity> sglang_capacity(const Architecture& architecture, const Hardware& hardware,
                                        const EngineProfile& engine, const CapacityOptions& options,
                                        std::string* why) {
  const std::uint64_t L = options.max_model_len;
  // The profiler prices an MLA latent as Dc + Dr elements in the KV dtype even where the pool
  // then stores a wider fp8 record (656 B where it counted 576): the same layers without it.
  // SGLang picks that KV dtype for the whole model, so a model with such layers has no others.
  EngineProfile profiled = engine;
  CacheDTypeOverrides dtypes = options.cache_dtypes;
  if (const auto& record = engine.latent_record) {
    const auto& kinds = record->kinds;
    const auto recorded = [&](const Layer& layer) {
      return layer.mixer &&
             std::find(kinds.begin(), kinds.end(), std::string(layer.mixer->kind())) != kinds.end();
    };
    const auto& layers = architecture.layers;
    const bool by_default =
        record->default_from_sm && options.cuda_sm && *options.cuda_sm >= *record->default_from_sm;
    if (std::any_of(layers.begin(), layers.end(), recorded)) {
      if (!std::all_of(layers.begin(), layers.end(),
                       [&](const Layer& layer) { return !layer.mixer || recorded(layer); })) {
        if (why) *why = "latent-record layers beside other attention layers";
        return std::nullopt;
      }
      if (!dtypes.kv_cache && by_default) dtypes.kv_cache = record->latent_dtype;
    }
    profiled.latent_record.reset();
  }
  std::uint64_t full_cell = 0, window_cell = 0, state_per_request = 0, page = 1;
  std::optional<std::uint64_t> window;
  for (const LayerCache& layer :
       engine_layers(architecture, profiled, dtypes, options.cuda_sm, options.tp)) {
    for (const auto& term : layer.growing) {
      if (term.max_tokens && !term.sliding) {
        if (why) *why = "chunked-local layers (SGLang's chunked attention pool was not read)";
        return std::nullopt;
      }
      // DeepSeek V4's window, compressed and indexer pools are sized by their own rules
      // (deepseek_v4_memory_pool.py), not by the token pool's below, and were not read.
      if (term.tokens_per_entry > 1) {
        if (why)
          *why = "compressed-entry layers (the sizing of SGLang's DeepSeek V4 pools was not read)";
        return std::nullopt;
      }
      std::uint64_t& cell = term.max_tokens ? window_cell : full_cell;
      cell = checked_add(cell, term.bytes_per_context_token(), "cell bytes");
      if (term.max_tokens) window = std::max(window.value_or(0), *term.max_tokens);
    }
    if (!layer.growing.empty()) page = std::max(page, layer.block_tokens);
    state_per_request = checked_add(state_per_request, layer.state_bytes_per_slot, "state bytes");
  }
  Capacity capacity = budget(architecture, hardware, options);
  capacity.cell_bytes = checked_add(full_cell, window_cell, "cell bytes");
  if (capacity.cell_bytes == 0) {
    if (why) *why = "no attention layer (SGLang sizes its token pool by the attention layers)";
    return std::nullopt;
  }
  std::uint64_t rest = capacity.budget_bytes;
  if (state_per_request > 0) {  // handle_max_mamba_cache, mamba_full_memory_ratio 0.9
    const auto state_pool =
        static_cast<std::uint64_t>(std::floor(static_cast<double>(rest) * 0.9 / (1 + 0.9)));
    capacity.state_slots = state_pool / state_per_request;
    rest -= capacity.state_slots * state_per_request;
  }
  const std::uint64_t tokens = rest / capacity.cell_bytes;
  const auto whole_pages = [&](std::uint64_t n) { return n / page * page; };
  if (window && full_cell == 0) {  // every layer slides: one window pool
    capacity.window_tokens = whole_pages(tokens);
    capacity.tokens = capacity.window_tokens;
  } else if (window) {  // set_num_tokens_hybrid_swa, swa_full_tokens_ratio 0.8
    const double memory = static_cast<double>(tokens) * static_cast<double>(capacity.cell_bytes);
    const auto full = static_cast<std::uint64_t>(
        memory / (static_cast<double>(full_cell) + 0.8 * static_cast<double>(window_cell)));
    capacity.window_tokens =
        whole_pages(static_cast<std::uint64_t>(static_cast<double>(full) * 0.8));
    capacity.tokens = whole_pages(full);
  } else {
    capacity.tokens = whole_pages(tokens);
  }
  capacity.max_running_requests = std::min<std::uint64_t>(
      std::max<std::uint64_t>(static_cast<std::uint64_t>(static_cast<double>(capacity.tokens) /
                                                         static_cast<double>(L) * 512),
                              2048),
      4096);
  if (state_per_request > 0)
    capacity.max_running_requests = std::min(
        capacity.max_running_requests, capacity.state_slots / engine.state_slots_per_sequence);
  double requests = full_cell > 0 ? static_cast<double>(capacity.tokens) / static_cast<double>(L)
                                  : static_cast<double>(capacity.max_running_requests);
  if (window)
    requests = std::min(requests, static_cast<double>(capacity.window_tokens) /
                                      static_cast<double>(std::min(L, *window)));
  capacity.max_concurrency = std::min(requests, static_cast<double>(capacity.max_running_requests));
  return capacity;
}

}  // namespace attnsim
