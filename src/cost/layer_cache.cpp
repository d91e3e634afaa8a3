// Page-rounded cache bytes of one layer and their sums into a memory row, all checked.
#include "cost/layer_cache.h"

#include <algorithm>

#include "core/error.h"

namespace attnsim {

std::uint64_t LayerCache::kv_bytes_per_token() const {
  std::uint64_t total = 0;
  for (const auto& term : growing)
    total = checked_add(total, term.bytes_per_context_token(), "KV bytes");
  return total;
}

std::uint64_t LayerCache::kv_bytes(std::uint64_t context) const {
  std::uint64_t total = 0;
  const auto pages_for = [&](std::uint64_t tokens) {
    return tokens / block_tokens + (tokens % block_tokens != 0 ? 1 : 0);
  };
  for (const auto& term : growing) {
    std::uint64_t pages = 0;
    const std::uint64_t persistent = term.persistent_tokens;
    if (term.max_tokens && term.sliding) {
      const std::uint64_t behind = context > *term.max_tokens ? context - *term.max_tokens : 0;
      pages = pages_for(context) - behind / block_tokens + pages_for(persistent);
    } else {
      const std::uint64_t kept = term.max_tokens ? std::min(context, *term.max_tokens) : context;
      pages = pages_for(checked_add(kept, persistent, "KV tokens"));
    }
    if (term.page_bytes_multiple > 1) {  // whole padded pages of block / m entries each
      ATTNSIM_ASSERT(block_tokens % term.tokens_per_entry == 0, "whole entries in a page");
      const std::uint64_t raw =
          checked_mul(block_tokens / term.tokens_per_entry, term.bytes_per_token, "KV page bytes");
      const std::uint64_t unit = term.page_bytes_multiple;
      const std::uint64_t page = checked_mul(raw / unit + (raw % unit != 0 ? 1 : 0), unit, "KV");
      total = checked_add(total, checked_mul(page, pages, "KV bytes"), "KV bytes");
      continue;
    }
    // A compressed term keeps one entry per complete group of tokens_per_entry tokens.
    const std::uint64_t entries =
        checked_mul(pages, block_tokens, "KV tokens") / term.tokens_per_entry;
    total = checked_add(total, checked_mul(term.bytes_per_token, entries, "KV bytes"), "KV bytes");
  }
  return total;
}

std::uint64_t term_bytes_per_token(const CacheTerm& term, DType dtype) {
  return checked_add(bytes_for_elements(term.elements_per_token, dtype, "KV bytes per token"),
                     term.extra_bytes_per_token, "KV bytes per token");
}

std::uint64_t term_state_bytes(const CacheTerm& term, DType dtype) {
  return bytes_for_elements(term.elements_per_sequence, dtype, "state bytes");
}

void charge_layer(MemoryRow& row, const LayerCache& layer, std::uint64_t slots,
                  std::uint64_t batch) {
  const std::uint64_t state_per_sequence =
      checked_mul(layer.state_bytes_per_slot, slots, "state bytes");
  charge_layer_bytes(row, layer, checked_mul(layer.kv_bytes(row.context), batch, "KV bytes"),
                     checked_mul(state_per_sequence, batch, "state bytes"), state_per_sequence);
}

void charge_layer_bytes(MemoryRow& row, const LayerCache& layer, std::uint64_t kv_bytes,
                        std::uint64_t state_bytes, std::uint64_t state_per_sequence) {
  auto kind = std::find_if(row.by_kind.begin(), row.by_kind.end(),
                           [&](const KindMemory& k) { return k.layer_kind == layer.kind; });
  if (kind == row.by_kind.end()) {
    row.by_kind.push_back({layer.kind, 0, 0, 0, 0, 0});
    kind = row.by_kind.end() - 1;
  }
  kind->n_layers += 1;
  kind->kv_bytes_per_token =
      checked_add(kind->kv_bytes_per_token, layer.kv_bytes_per_token(), "KV bytes");
  kind->state_bytes_per_sequence =
      checked_add(kind->state_bytes_per_sequence, state_per_sequence, "state bytes");
  kind->kv_bytes = checked_add(kind->kv_bytes, kv_bytes, "KV bytes");
  kind->state_bytes = checked_add(kind->state_bytes, state_bytes, "state bytes");
  row.kv_bytes = checked_add(row.kv_bytes, kv_bytes, "KV bytes");
  row.state_bytes = checked_add(row.state_bytes, state_bytes, "state bytes");
}

}  // namespace attnsim
