// Scaled-down architectures for `attnsim simulate`: the shipped document with its mixer
// instance keys divided by N, rebuilt through build_architecture like an `extends:` override.
#pragma once

#include <cstdint>
#include <string>

#include "config/document.h"
#include "graph/architecture.h"

namespace attnsim::sim {

struct ScaleDown {
  std::uint64_t dims = 1;   // N: head counts and widths
  std::uint64_t spans = 1;  // S: token spans (window, chunk, topk)
};

// The rule, applied by each field's role in its kind's field table (mixers/fields.h) to every
// map under `mixers:` and the nested mixers and maps the table declares (a parallel hybrid's
// `attention`/`ssm`, DSA's `attention`/`indexer`), never by mixer kind:
//  - head groups (kv_heads, head_groups roles: n_kv_heads of n_heads, n_qk_heads of n_v_heads,
//    n_groups of n_heads): group' = max(1, group / N) and heads' = group' · (heads / group), so
//    the GQA / GVA ratio and heads per B/C group are kept;
//  - other head counts (heads role: n_heads of MLA, lightning, an indexer): max(1, n / N);
//  - widths (width, latent_rank and state_size roles: head dims, kv/q_lora_rank, state_size,
//    d_inner, dt_rank): w / N rounded down to an even number, at least 2 (RoPE rotates pairs;
//    q_lora_rank 0 stays 0);
//  - token spans (window, span roles: window, chunk, topk): max(1, s / S);
//  - model.d_model: as a width. FFN sections, vocabulary, layer graph and dtypes are unchanged.
// Integer division rounds down. `expect:` is dropped (published figures are of the full model).
config::Node scale_document(const config::Node& resolved, const ScaleDown& scale);

// load_resolved_document(resolve_architecture(name)) → scale_document → build_architecture.
Architecture scaled_architecture(const std::string& name_or_path, const ScaleDown& scale);

}  // namespace attnsim::sim
