// Reference execution of the Mamba-3 core (mixers-spec-new §A): data-dependent decay, the
// exponential-trapezoidal three-term update, the cumulative data-dependent rotation of B and C,
// SISO and MIMO (rank R), D skip, z gate, the fused per-rank output norm; recurrent and chunked
// forms; all four decode states in and out.
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/mamba3/core_flops.h"

namespace attnsim::mamba3 {

// Empty tensors mean "not used" (D, z, outproj_norm_weight), all ones (mimo_*) or a zero
// initial state.
struct Inputs {
  Tensor q;                    // [B, T, R, G, N]  C after its RMSNorm
  Tensor k;                    // [B, T, R, G, N]  B after its RMSNorm
  Tensor v;                    // [B, T, H, P]     x
  Tensor dt;                   // [B, T, H]        Δ > 0, already softplus-ed
  Tensor adt;                  // [B, T, H]        A·Δ < 0 (A is data-dependent)
  Tensor trap;                 // [B, T, H]        λ logit
  Tensor angles;               // [B, T, H, S]     raw angle projection (before tanh)
  Tensor q_bias;               // [H, R, N]
  Tensor k_bias;               // [H, R, N]
  Tensor D;                    // [H]
  Tensor z;                    // [B, T, H, P]
  Tensor mimo_v;               // [H, R, P]  up-projection of x (mimo_x)
  Tensor mimo_z;               // [H, R, P]  up-projection of z
  Tensor mimo_o;               // [H, R, P]  down-projection
  Tensor outproj_norm_weight;  // [H, P]
  Tensor initial_angle_state;  // [B, H, S]
  Tensor initial_ssm_state;    // [B, H, P, N]
  Tensor initial_k_state;      // [B, R, H, N]  rotated, biased key of the previous token
  Tensor initial_v_state;      // [B, H, P]     x of the previous token (not up-projected)
};

enum class Form { recurrent, chunked };
// Feature pairs a rotation angle turns: (2j, 2j+1) in the SISO kernels, (j, j + N/2) in the
// MIMO kernels and decode.
enum class RopePairing { interleaved, half };

struct Options {
  Form form = Form::chunked;
  std::int64_t chunk_size = 64;  // need not divide T
  RopePairing pairing = RopePairing::interleaved;
  bool outproj_norm = false;  // RMSNorm_P(o_r)·w before the gate (needs outproj_norm_weight)
  double outproj_norm_eps = 1e-5;
  bool intermediates = false;  // also return theta, q_rot and k_rot (the oracle's extra outputs)
  Precision precision = Precision::float64;
};

struct Result {
  Tensor y;                  // [B, T, H, P]
  Tensor final_angle_state;  // [B, H, S], reduced into [0, 2π)
  Tensor final_ssm_state;    // [B, H, P, N]
  Tensor final_k_state;      // [B, R, H, N]
  Tensor final_v_state;      // [B, H, P]
  // With Options::intermediates (else empty):
  Tensor theta;  // [B, T, H, S], Θ_t reduced into [0, 2π)
  Tensor q_rot;  // [B, T, R, H, N], biased and rotated q
  Tensor k_rot;  // [B, T, R, H, N]
  OpCounts counts;
  std::int64_t state_elements = 0;  // the four decode states of all sequences
};

Result run(const Inputs& inputs, const Options& options);

// x − 2π·⌊x / 2π⌋, in [0, 2π): the prefill kernels' reduction of the angle state.
double reduce_angle(double x);

}  // namespace attnsim::mamba3
