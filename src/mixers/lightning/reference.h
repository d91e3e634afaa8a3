// Reference execution of lightning attention / linear attention with a constant per-head decay
// (mixers-spec §7): recurrent and chunked (block) forms, initial state in, final state out, and
// the per-head slope formulas of MiniMax-01, Ling/Bailing and fla.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/lightning/core_flops.h"

namespace attnsim::lightning {

struct Inputs {
  Tensor q;              // [B, T, H, K]
  Tensor k;              // [B, T, H, K]
  Tensor v;              // [B, T, H, V]
  Tensor g_gamma;        // [H], natural-log decay per head (constant over time)
  Tensor initial_state;  // [B, H, K, V]; empty = zeros
};

enum class Form { recurrent, chunked };

struct Options {
  std::optional<double> scale;  // default K^−1/2 (fla); MiniMax-01 uses 1
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

// g_γ[h] for h = 0..H−1 in layer `layer` (0-based) of `n_layers` (mixers-spec §7 table).
std::vector<double> minimax_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers);
std::vector<double> ling_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers);
std::vector<double> fla_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers);
// ALiBi slopes (positive): 2^(−8(i+1)/n) for a power of two n; otherwise the closest lower power
// of two, followed by every other slope of twice that many heads.
std::vector<double> alibi_slopes(std::int64_t H);

}  // namespace attnsim::lightning
