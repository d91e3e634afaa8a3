// Reference execution of the RG-LRU, the recurrence of RecurrentGemma / Griffin's recurrent
// block (mixers-spec-recurrent §11): block-diagonal input and recurrence gates,
// log a = −c·gate_a·softplus(Λ), h = ã ⊙ h + m ⊙ gate_x ⊙ x with document resets where
// segment_pos is 0; forms recurrent, chunked and associative scan; initial state in, final out.
#pragma once

#include <cstdint>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/rg_lru/core_flops.h"

namespace attnsim::rg_lru {

struct Inputs {
  Tensor x;                 // [B, T, W]: the output of the block's temporal conv1d
  IndexTensor segment_pos;  // [B, T]: position inside the document; empty = no resets
  Tensor input_gate_w;      // [H, bw, bw], (block, in, out): gate_x = σ(x_h · W[h] + b[h])
  Tensor input_gate_b;      // [H, bw]
  Tensor a_gate_w;          // [H, bw, bw]
  Tensor a_gate_b;          // [H, bw]
  Tensor a_param;           // [W]: Λ (transformers recurrent_param)
  Tensor initial_state;     // [B, W]; empty = zeros
};

enum class Form { recurrent, chunked, scan };

struct Options {
  double c = 8.0;
  Form form = Form::recurrent;
  std::int64_t chunk_size = 64;  // need not divide T
  Precision precision = Precision::float64;
};

struct Result {
  Tensor y;             // [B, T, W] (= h_t)
  Tensor final_state;   // [B, W]
  Tensor gate_x;        // [B, T, W]
  Tensor gate_a;        // [B, T, W]
  Tensor log_a;         // [B, T, W]
  Tensor normalized_x;  // [B, T, W] = m ⊙ gate_x ⊙ x
  OpCounts counts;
  std::int64_t state_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::rg_lru
