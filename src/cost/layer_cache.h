// One layer's cache as it is stored, shared by the paper minimum (cost/memory.cpp) and the
// engine profiles (cost/engine.cpp): the paper model is the engine model with one-token pages
// and one state slot per sequence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cost/memory.h"
#include "mixers/mixer.h"

namespace attnsim {

struct LayerCache {
  struct Growing {
    std::uint64_t bytes_per_token = 0;
    std::optional<std::uint64_t> max_tokens;  // a cap: at most this many tokens are needed
    bool sliding = false;                     // the cap is a sliding window (else a local chunk)
    // Tokens kept whatever the context and the cap (ModelDims::meta_tokens): a prefix in pages of
    // its own beside a sliding window's, else at the head of the sequence's pages.
    std::uint64_t persistent_tokens = 0;
    // Compressed terms (CacheTerm::tokens_per_entry): bytes_per_token is then the bytes of one
    // entry, kept for each complete group of this many tokens.
    std::uint64_t tokens_per_entry = 1;
    // Each page's bytes (block_tokens / tokens_per_entry entries) rounded up to a multiple of
    // this (SGLang pads every DeepSeek V4 page to 576-byte units); 1: no padding.
    std::uint64_t page_bytes_multiple = 1;
    // Bytes per token of context: an entry's bytes over its tokens, rounded up.
    std::uint64_t bytes_per_context_token() const {
      return bytes_per_token / tokens_per_entry + (bytes_per_token % tokens_per_entry != 0 ? 1 : 0);
    }
  };
  std::string kind;  // Mixer::layer_kind, for the per-kind breakdown
  std::vector<Growing> growing;
  std::uint64_t state_bytes_per_slot = 0;  // recurrent + conv state of one slot
  std::uint64_t block_tokens = 1;          // growing terms occupy whole pages of this many tokens

  // Summed over terms before window caps; a compressed term counts its entry bytes over its
  // tokens per entry, rounded up.
  std::uint64_t kv_bytes_per_token() const;
  // Bytes one sequence holds after `context` tokens, in whole pages. A sliding window frees only
  // the pages that lie wholly behind it (vLLM's SlidingWindowManager): cdiv(L, B) − ⌊(L − W)/B⌋
  // pages for L > W, one more than cdiv(W, B) unless the window starts on a page boundary; with
  // one-token pages that is min(L, W). A local chunk is charged min(L, C) tokens in pages.
  // Persistent tokens P add: with one-token pages, min(L, W) + P and L + P.
  std::uint64_t kv_bytes(std::uint64_t context) const;
};

// A cache term's bytes in `dtype`: per token (its data plus any side bytes such as scales) and
// per sequence.
std::uint64_t term_bytes_per_token(const CacheTerm& term, DType dtype);
std::uint64_t term_state_bytes(const CacheTerm& term, DType dtype);

// Charges `layer` for `batch` sequences, each holding `slots` state slots, to `row`: its totals
// and its per-kind breakdown (a kind's entry is created on first use, in layer order).
void charge_layer(MemoryRow& row, const LayerCache& layer, std::uint64_t slots,
                  std::uint64_t batch);
// The same with the bytes given: KV and state of the whole batch, and state per sequence (an
// engine that allocates whole streams at start-up, cost/engine_streams.cpp).
void charge_layer_bytes(MemoryRow& row, const LayerCache& layer, std::uint64_t kv_bytes,
                        std::uint64_t state_bytes, std::uint64_t state_per_sequence);

}  // namespace attnsim
