// llama.cpp's multi-sequence cache: the cells it allocates at start-up for n_seq_max sequence
// slots, in one stream per slot or in one unified stream, as opposed to pages per sequence.
//
// Rules (ggml-org/llama.cpp after PR #17046, merged 2025-11-06; read in stored copies of
// src/llama-context.cpp, llama-model.cpp's create_memory, llama-kv-cache.cpp @ 3514e9f6 and
// llama-kv-cache-iswa.cpp @ 2aef9767):
//   n_ctx = pad256(-c); unified: n_ctx_seq = n_ctx, else n_ctx_seq = pad256(⌊n_ctx / N⌋);
//   every attention cache (plain, iSWA's base, a hybrid's attention part) holds n_ctx_seq cells
//   in each of n_stream = unified ? 1 : N streams (K and V tensors [n_embd_gqa, kv_size,
//   n_stream]); an SWA cache without swa_full holds pad256(min(n_ctx_seq, n_swa · (unified ? N :
//   1) + n_ubatch)) cells per stream, with swa_full n_ctx_seq; a recurrent state has max(1, N)
//   cells, one per slot, unified or not.
// attnsim's context L and batch B are tokens per sequence and sequences: -c is the cells that
// give each of them L tokens, N · L for N streams (each then pad256(L)), B · L for one stream.
#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "cost/engine.h"
#include "cost/layer_cache.h"

namespace attnsim {

StreamLayout stream_layout(const EngineProfile& engine, const EngineRun& run, std::uint64_t batch) {
  if (!engine.kv_streams) {
    if (run.parallel || run.kv_unified)
      throw UserError({}, run.parallel ? "--parallel" : "--kv-unified",
                      "--engine llama.cpp or llama-server (llama.cpp's sequence slots)",
                      fmt::format("--engine {}", engine.name),
                      "other engines page each sequence's cache; --batch gives the sequences");
    return {batch, false};
  }
  StreamLayout layout;
  layout.unified = run.kv_unified;
  if (run.parallel) {
    layout.slots = *run.parallel;
  } else if (engine.kv_streams->auto_parallel) {
    layout.slots = *engine.kv_streams->auto_parallel;
    layout.unified = layout.unified || engine.kv_streams->auto_kv_unified;
  } else {
    layout.slots = batch;
  }
  if (batch > layout.slots)
    throw UserError({}, "--batch",
                    fmt::format("at most the {} sequence slots {} runs at once", layout.slots,
                                engine.display_name),
                    std::to_string(batch),
                    fmt::format("give --parallel {} (llama.cpp's -np)", batch));
  return layout;
}

namespace {
std::uint64_t pad(std::uint64_t cells, std::uint64_t to) {
  return checked_mul(cells / to + (cells % to != 0 ? 1 : 0), to, "cells");
}
}  // namespace

// The bytes one layer allocates when `batch` sequences of `context` tokens must fit.
std::uint64_t stream_kv_bytes(const LayerCache& layer, const StreamLayout& layout,
                              std::uint64_t context, std::uint64_t batch,
                              std::uint64_t extra_window_tokens) {
  const std::uint64_t streams = layout.unified ? 1 : layout.slots;
  std::uint64_t total = 0;
  for (const auto& term : layer.growing) {
    const std::uint64_t tokens = checked_add(context, term.persistent_tokens, "KV tokens");
    // n_ctx_seq: pad(⌊pad(N · L) / N⌋) = pad(L) per stream, or pad(B · L) in the one stream.
    const std::uint64_t base = layout.unified
                                   ? pad(checked_mul(batch, tokens, "cells"), layer.block_tokens)
                                   : pad(tokens, layer.block_tokens);
    std::uint64_t cells = base;
    if (term.max_tokens) {  // a window (W + n_ubatch here): n_swa · (unified ? N : 1) + n_ubatch
      ATTNSIM_ASSERT(*term.max_tokens >= extra_window_tokens, "the window holds its extra tokens");
      const std::uint64_t window = *term.max_tokens - extra_window_tokens;
      const std::uint64_t kept =
          checked_add(checked_mul(window, layout.unified ? layout.slots : 1, "cells"),
                      extra_window_tokens, "cells");
      cells = std::min(base, pad(kept, layer.block_tokens));
    }
    const std::uint64_t entries = checked_mul(cells, streams, "cells") / term.tokens_per_entry;
    total = checked_add(total, checked_mul(entries, term.bytes_per_token, "KV bytes"), "KV bytes");
  }
  return total;
}

}  // namespace attnsim
