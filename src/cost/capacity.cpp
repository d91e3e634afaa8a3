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
      bytes_for_elements(model_params(architecture).total,
                         options.weights_dtype.value_or(architecture.dtypes.weights), "weights");
  capacity.weight_bytes = cdiv(total, options.tp);
  // Rounded down like vLLM's requested_memory = total_memory × gpu_memory_utilization.
  const auto usable = static_cast<std::uint64_t>(
      std::floor(options.memory_fraction * static_cast<double>(hardware.memory_capacity_bytes)));
  capacity.budget_bytes = usable > capacity.weight_bytes ? usable - capacity.weight_bytes : 0;
  return capacity;
}

// One cache type of vLLM's grouping (a KVCacheSpec type): its page and what one request of
// max_model_len tokens needs of it.
struct CacheType {
  std::uint64_t page_bytes = 0;
  std::uint64_t max_request_bytes = 0;
  std::uint64_t layers = 0;
};
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
  const auto add = [&](std::uint64_t page, std::uint64_t need) {
    CacheType& type = types[{page, need}];
    type.page_bytes = page;
    type.max_request_bytes = need;
    type.layers += 1;
  };
  for (const LayerCache& layer :
       engine_layers(architecture, engine, options.cache_dtypes, options.cuda_sm, options.tp)) {
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
      add(page, checked_mul(blocks, page, "request bytes"));
    }
    if (layer.state_bytes_per_slot > 0)  // MambaSpec: one state page per request ('none' mode)
      add(layer.state_bytes_per_slot,
          checked_mul(layer.state_bytes_per_slot, engine.state_slots_per_sequence, "state"));
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
  // largest when that is under 1.25 × the smallest; each type split into cdiv(n, g) groups.
  std::uint64_t fewest = types.begin()->second.layers, most = fewest;
  for (const auto& [key, type] : types) {
    fewest = std::min(fewest, type.layers);
    most = std::max(most, type.layers);
  }
  const std::uint64_t group_size =
      static_cast<double>(most) < 1.25 * static_cast<double>(fewest) ? most : fewest;
  std::uint64_t request_bytes = 0;  // Σ over groups of their spec's max_memory_usage_bytes
  for (const auto& [key, type] : types)
    request_bytes = checked_add(
        request_bytes, checked_mul(cdiv(type.layers, group_size), type.max_request_bytes, "bytes"),
        "bytes");
  capacity.num_blocks = capacity.budget_bytes / page / group_size;
  capacity.blocks_per_request = cdiv(request_bytes, page);
  capacity.max_concurrency =
      static_cast<double>(capacity.num_blocks) / static_cast<double>(capacity.blocks_per_request);
  capacity.tokens = checked_mul(capacity.num_blocks, L, "tokens") / capacity.blocks_per_request;
  return capacity;
}

}  // namespace attnsim
