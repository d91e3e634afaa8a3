// Claims made about a model (Architecture::claims), evaluated against the model: what each one
// states, what attnsim computes for the same quantity, and whether the claim holds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// The quantities (graph/architecture.h, claim_quantities):
//   layers               every layer of the graph, FFN-only layers included
//   layers:KIND          layers of one kind (Mixer::layer_kind: mamba2, full_attn, ...)
//   attention_fraction   layers of the attending kinds (sliding or full, their own KV or one read
//                        through kv_shared_from; graph/ratio's classification) over layers
//                        with a mixer (0.25 for 3:1)
//   kv_saving            1 − KV bytes / KV bytes of the same model with full attention in every
//                        mixer layer, at `context` (the saving `kv` and `compare` print)
//   kv_bytes_per_token   KV bytes per token, no window caps
//   experts, top_k, shared_experts   of the model's first MoE FFN layer
//   params_total, params_active      parameters (params' conventions); not settled while
//                                    unknown_params lists a part (the count is a lower bound)
struct ClaimCheck {
  Claim claim;
  double computed = 0.0;
  double tolerance = 0.0;  // the one applied
  bool holds = false;
  std::string claimed_text;   // the stated value, formatted in the quantity's unit
  std::string computed_text;  // attnsim's value, the same way
  std::string verdict;        // "holds" or "differs by …"
};

// Default tolerances: counts exact; fractions ±0.005 (half a percentage point); parameter
// counts ±0.5% of the claim, as expect: treats rounded figures.
std::vector<ClaimCheck> check_claims(const Architecture& architecture);

}  // namespace attnsim
