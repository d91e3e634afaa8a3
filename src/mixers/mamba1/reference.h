// Reference execution of the Mamba-1 selective scan (Gu & Dao 2023, Algorithm 2; mamba_ssm
// selective_scan_ref): a diagonal state per (channel, state) pair, B and C shared by the
// channels, dt bias + softplus, D skip, optional silu(z) gate, initial state in, final state out.
// Recurrent form only: a per-(channel, state) decay has no matmul-shaped chunked form (README).
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/mamba1/core_flops.h"

namespace attnsim::mamba1 {

struct Inputs {
  Tensor x;              // [B, T, d_inner] (the conv output)
  Tensor dt;             // [B, T, d_inner], raw (dt_proj without its bias, before softplus)
  Tensor dt_bias;        // [d_inner] (dt_proj's bias)
  Tensor A;              // [d_inner, N], negative (= −exp(A_log))
  Tensor Bm;             // [B, T, N], shared by all channels
  Tensor Cm;             // [B, T, N], shared by all channels
  Tensor D;              // [d_inner], skip
  Tensor z;              // [B, T, d_inner], gate y·silu(z); empty = no gate
  Tensor initial_state;  // [B, d_inner, N] (mamba_ssm layout); empty = zeros
};

struct Result {
  Tensor y;               // [B, T, d_inner]
  Tensor final_state;     // [B, d_inner, N]
  Tensor dt_discretized;  // [B, T, d_inner], Δ = softplus(dt + dt_bias)
  OpCounts counts;
  std::int64_t state_elements = 0;
};

// Δ always goes through softplus: mamba_ssm's Mamba and HF Jamba pass delta_softplus=True.
Result run(const Inputs& inputs);

}  // namespace attnsim::mamba1
