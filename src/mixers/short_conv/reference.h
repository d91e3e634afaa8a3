// Reference execution of LFM2's double-gated short convolution (mixers-spec-recurrent §12):
// u = B ⊙ x, a depthwise causal conv of length L over u, y = C ⊙ conv; forms `conv` (sliding
// window), `step` (decode loop with a rolling state) and `toeplitz` (banded matrix product),
// initial state in, final state out.
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/short_conv/core_flops.h"

namespace attnsim::short_conv {

struct Inputs {
  Tensor b_gate;         // [B, T, D]; in_proj chunk 0
  Tensor c_gate;         // [B, T, D]; in_proj chunk 1
  Tensor x;              // [B, T, D]; in_proj chunk 2
  Tensor conv_weight;    // [D, L]; tap L − 1 multiplies the current token
  Tensor conv_bias;      // [D]; empty = no bias (LFM2)
  Tensor initial_state;  // [B, D, L − 1], oldest column first; empty = zeros
};

// b_gate, c_gate and x from the in_proj output bcx [B, T, 3D], split in the order B | C | x.
Inputs split_bcx(const Tensor& bcx);

enum class Form { conv, step, toeplitz };

struct Options {
  Form form = Form::conv;
  Precision precision = Precision::float64;
};

struct Result {
  Tensor y;            // [B, T, D]
  Tensor final_state;  // [B, D, L − 1]: the last L − 1 columns of u, oldest first
  Tensor u;            // [B, T, D] = B ⊙ x
  Tensor conv_out;     // [B, T, D], bias included, before the C gate
  OpCounts counts;
  std::int64_t state_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::short_conv
