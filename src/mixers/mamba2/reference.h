// Reference execution of the Mamba-2 SSD core (mixers-spec §8; "mamba2_ssd" in the examples):
// recurrent and chunked forms, B/C groups, D skip, dt bias + softplus, optional dt limits,
// initial state in, final state out.
#pragma once

#include <cstdint>
#include <limits>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/common/short_conv.h"
#include "mixers/mamba2/core_flops.h"

namespace attnsim::mamba2 {

struct Inputs {
  Tensor x;              // [B, T, H, P]
  Tensor dt;             // [B, T, H], raw (before dt_bias and softplus)
  Tensor dt_bias;        // [H]
  Tensor A;              // [H], negative (= −exp(A_log))
  Tensor Bm;             // [B, T, G, N]
  Tensor Cm;             // [B, T, G, N]
  Tensor D;              // [H], skip
  Tensor initial_state;  // [B, H, P, N] (mamba_ssm layout); empty = zeros
  // With a conv: x, Bm and Cm are its inputs, bound as its parts 0, 1 and 2 (ShortConv::bind),
  // and the core convolves each chunk's rows as it loads them.
  const mixers::ShortConv* conv = nullptr;
};

enum class Form { recurrent, chunked };

struct Options {
  bool dt_softplus = true;
  // Δ is clipped to [dt_min, dt_max] after softplus; mamba_ssm's default (0, ∞) clips nothing.
  double dt_min = 0.0;
  double dt_max = std::numeric_limits<double>::infinity();
  Form form = Form::chunked;
  std::int64_t chunk_size = 64;  // need not divide T
  Precision precision = Precision::float64;
};

struct Result {
  Tensor y;               // [B, T, H, P]
  Tensor final_state;     // [B, H, P, N]
  Tensor dt_discretized;  // [B, T, H], Δ after bias, softplus and clip
  OpCounts counts;
  std::int64_t state_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::mamba2
