// Closed-form core FLOPs and state size of KDA, Kimi Delta Attention (per-key-channel gate),
// mixers-spec §6. They equal Gated DeltaNet's: the per-channel decay changes only elementwise
// work (K·V multiplies per token), which the multiply-add counts leave out (mixers-spec §0), so
// the formulas are written once in mixers/delta_rule/core_flops.h.
#pragma once

#include "mixers/delta_rule/core_flops.h"

namespace attnsim::kda {

using gated_deltanet::core_flops_chunked;
using gated_deltanet::core_flops_recurrent;
using gated_deltanet::Shapes;
using gated_deltanet::state_elements;

}  // namespace attnsim::kda
