// Closed-form core FLOPs and state size of the Mamba-1 selective scan, for the cost model.
// Pure functions of shapes; one multiply-add = 2 FLOPs.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::mamba1 {

struct Shapes {
  std::int64_t d_inner = 1;  // channels (expand × d_model)
  std::int64_t N = 1;        // state dim (d_state)
};

// Token by token, per channel: update h += (Δx)·B and read-out C·h, N multiply-adds each
// → 4·d_inner·N FLOPs per token (the decay exp(ΔA)∘h, the D skip and the z gate are
// elementwise, not counted). There is no chunked form (README), so prefill and decode alike.
FlopCounts core_flops(const Shapes& shapes, std::int64_t T);

// SSM state per sequence: d_inner·N elements (conv state not included).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::mamba1
