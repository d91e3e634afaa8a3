// Reference execution of the xLSTM mLSTM cell with its gate soft-cap (mixers-spec-recurrent
// §14): exponential input gate, log-sigmoid forget gate, max stabiliser m (a zero start state
// has m = 0, as mlstm_kernels), matrix memory C [DK, DV] and normaliser n; forms recurrent,
// chunkwise and parallel (one chunk, start-state term included); (C, n, m) in and out.
#pragma once

#include <cstdint>
#include <optional>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/mlstm/core_flops.h"

namespace attnsim::mlstm {

struct Inputs {
  Tensor q;              // [B, T, NH, DK]
  Tensor k;              // [B, T, NH, DK]
  Tensor v;              // [B, T, NH, DV]
  Tensor i_preact;       // [B, T, NH], raw (before the soft-cap)
  Tensor f_preact;       // [B, T, NH], raw
  Tensor initial_state;  // C [B, NH, DK, DV]; empty = zeros
  Tensor initial_n;      // [B, NH, DK]; empty = zeros
  Tensor initial_m;      // [B, NH]; empty = zeros (not −∞)
};

enum class Form { recurrent, chunkwise, parallel };

struct Options {
  std::optional<double> gate_soft_cap = 15.0;  // xLSTM-7B; nullopt = no cap
  double eps = 1e-6;
  std::optional<double> scale;  // default DK^−1/2
  Form form = Form::chunkwise;
  std::int64_t chunk_size = 64;  // need not divide T
  Precision precision = Precision::float64;
};

struct Result {
  Tensor o;                         // [B, T, NH, DV] (xLSTM's h)
  Tensor final_state;               // C [B, NH, DK, DV]
  Tensor final_n;                   // [B, NH, DK]
  Tensor final_m;                   // [B, NH]
  Tensor m;                         // [B, T, NH], the stabiliser after each token
  Tensor final_state_unstabilized;  // C·e^m
  Tensor final_n_unstabilized;      // n·e^m
  OpCounts counts;
  std::int64_t state_elements = 0;
};

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::mlstm
