// Closed-form core FLOPs and state size of LFM2's double-gated short convolution
// (mixers-spec-recurrent §12), for the cost model. Pure functions of shapes; one multiply-add
// = 2 FLOPs; elementwise products (the B and C gates) are not counted, as in the other kinds.
#pragma once

#include <cstdint>

#include "core/op_counts.h"

namespace attnsim::short_conv {

struct Shapes {
  std::int64_t D = 1;  // channels (LFM2: hidden_size)
  std::int64_t L = 1;  // kernel length (conv_L_cache); the state keeps L − 1 columns
};

// Sliding window and decode step alike: L taps per channel and token → 2·L·D FLOPs per token
// (the spec's (2L + 2)·D adds the two gate multiplies, D each, counted there as 1 FLOP).
FlopCounts core_flops_conv(const Shapes& shapes, std::int64_t T);

// Banded Toeplitz matmul with the band not exploited: per channel a T × (L − 1 + T) matrix
// (the initial-state columns first) times the inputs → 2·T·(T + L − 1)·D FLOPs. Not a cost.
FlopCounts core_flops_toeplitz(const Shapes& shapes, std::int64_t T);

// Conv state per sequence: (L − 1)·D elements (transformers' cache allocates L·D).
std::int64_t state_elements(const Shapes& shapes);

}  // namespace attnsim::short_conv
