// Reference execution of the RWKV-7 "Goose" WKV7 kernel (mixers-spec-recurrent §13): the
// generalised delta rule S_t = diag(e^{g_t}) S_{t−1} + b_t (a_tᵀ S_{t−1}) + k_t v_tᵀ with the
// read-out o_t = S_tᵀ r_t after the update (scale 1); recurrent and chunked forms, key-major
// state [K, V] in, final state out.
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/rwkv7/core_flops.h"

namespace attnsim::rwkv7 {

struct Inputs {
  Tensor r;              // [B, T, H, K] (the query; not scaled)
  Tensor g;              // [B, T, H, K], natural-log decay ≤ 0 (fla's w)
  Tensor k;              // [B, T, H, K]
  Tensor v;              // [B, T, H, V]
  Tensor a;              // [B, T, H, K]; RWKV-7: −κ̂
  Tensor b;              // [B, T, H, K]; RWKV-7: κ̂ ⊙ iclr
  Tensor initial_state;  // [B, H, K, V], key-major (fla; RWKV-LM's [H, V, K] transposed); empty = 0
  // Instead of a and b (both empty): the unit keys and in-context learning rates they come from,
  // a = −kk, b = kk ⊙ iclr, formed as the chunked form loads each chunk (no [B, T, H, K] copies).
  Tensor kk;    // [B, T, H, K]
  Tensor iclr;  // [B, T, H, K]
};

// a = −kk and b = kk ⊙ iclr, for inputs given as (kk, iclr).
void set_a_b_from_kk_iclr(Inputs& inputs, const Tensor& kk, const Tensor& iclr);

enum class Form { recurrent, chunked };

struct Options {
  Form form = Form::chunked;
  std::int64_t chunk_size = 64;  // need not divide T
  Precision precision = Precision::float64;
};

struct Result {
  Tensor o;            // [B, T, H, V]
  Tensor final_state;  // [B, H, K, V]
  OpCounts counts;
  std::int64_t state_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::rwkv7
