// Gated attention (mixers-spec §4): q̂ = q / sqrt(mean(q²) + ε) · (1 + w_q), k̂ likewise, RoPE
// on features [0, rd), o = attention(q̂, k̂, v) ⊙ sigmoid(gate).
#include "mixers/gated_attn/reference.h"

#include <cmath>

#include "core/error.h"
#include "mixers/common/activations.h"
#include "mixers/common/attention.h"
#include "mixers/common/rope.h"
#include "mixers/softmax_attn/reference.h"

namespace attnsim::gated_attn {
namespace {

// Normalises each head vector of x [B, T, heads, D] in place, then rotates its first
// rotary_dim features at the token's position.
void norm_and_rope(Tensor& x, const Tensor& weight, const std::vector<std::int64_t>& positions,
                   std::int64_t rotary_dim, const Options& options) {
  const std::int64_t B = x.dim(0), T = x.dim(1), heads = x.dim(2), D = x.dim(3);
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t h = 0; h < heads; ++h) {
        double* row = x.data.data() + ((b * T + t) * heads + h) * D;
        double mean_square = 0.0;
        for (std::int64_t d = 0; d < D; ++d) mean_square += row[d] * row[d];
        const double inverse_rms =
            1.0 / std::sqrt(mean_square / static_cast<double>(D) + options.eps);
        for (std::int64_t d = 0; d < D; ++d) {
          row[d] *= inverse_rms * (1.0 + weight[static_cast<std::size_t>(d)]);
        }
        mixers::apply_rope(row, rotary_dim,
                           static_cast<double>(positions[static_cast<std::size_t>(t)]),
                           options.rope_theta, mixers::RopeStyle::half_split);
      }
    }
  }
}

// Splits q_and_gate [B, T, H, 2D] into the query and gate halves of each head.
std::pair<Tensor, Tensor> split_query_gate(const Tensor& q_and_gate) {
  const std::int64_t B = q_and_gate.dim(0), T = q_and_gate.dim(1), H = q_and_gate.dim(2);
  const std::int64_t D = q_and_gate.dim(3) / 2;
  Tensor q({B, T, H, D}), gate({B, T, H, D});
  for (std::int64_t row = 0; row < B * T * H; ++row) {
    const auto src = q_and_gate.data.begin() + row * 2 * D;
    std::copy(src, src + D, q.data.begin() + row * D);
    std::copy(src + D, src + 2 * D, gate.data.begin() + row * D);
  }
  return {q, gate};
}

std::int64_t rotary_dim_of(std::int64_t D, double factor) {
  const auto rotary_dim = static_cast<std::int64_t>(static_cast<double>(D) * factor);
  if (rotary_dim % 2 != 0 || rotary_dim < 0 || rotary_dim > D) {
    throw UserError(SourceLocation{}, "partial_rotary_factor",
                    "a factor giving an even rotary dim ≤ D = " + std::to_string(D),
                    "rd = int(D·ρ) = " + std::to_string(rotary_dim));
  }
  return rotary_dim;
}

}  // namespace

Result run(const Inputs& in, const Options& options) {
  require_rank(in.q_and_gate.shape, 4, "q_and_gate", "[B, Tq, Hq, 2D]");
  require_rank(in.k.shape, 4, "k", "[B, Tk, Hkv, D]");
  const std::int64_t D = in.k.dim(3), Tq = in.q_and_gate.dim(1), Tk = in.k.dim(1);
  require_shape(in.q_and_gate.shape, {in.k.dim(0), Tq, in.q_and_gate.dim(2), 2 * D}, "q_and_gate",
                "B,Tq,Hq,2D");
  require_shape(in.q_norm_weight.shape, {D}, "q_norm_weight", "D");
  require_shape(in.k_norm_weight.shape, {D}, "k_norm_weight", "D");
  const std::int64_t rotary_dim = rotary_dim_of(D, options.partial_rotary_factor);
  mixers::Visibility visibility = mixers::default_visibility(Tq, Tk, options.window);
  if (!in.q_positions.empty()) visibility.q_positions = in.q_positions;
  if (!in.k_positions.empty()) visibility.k_positions = in.k_positions;
  mixers::validate_visibility(visibility, Tq, Tk);

  Result result;
  auto [q, gate] = split_query_gate(in.q_and_gate);
  result.k_rot = in.k;
  norm_and_rope(q, in.q_norm_weight, visibility.q_positions, rotary_dim, options);
  norm_and_rope(result.k_rot, in.k_norm_weight, visibility.k_positions, rotary_dim, options);
  result.q_rot = q;
  softmax_attn::Options attention;
  attention.scale = options.scale;
  attention.window = options.window;
  attention.query_block = options.query_block;
  attention.precision = options.precision;
  auto core = softmax_attn::run(
      {result.q_rot, result.k_rot, in.v, visibility.q_positions, visibility.k_positions},
      attention);
  result.o_ungated = core.o;
  result.o = core.o;
  for (std::size_t i = 0; i < result.o.size(); ++i) {
    result.o[i] *= mixers::sigmoid(gate[i]);  // elementwise sigmoid gate
  }
  result.lse = std::move(core.lse);
  result.counts = std::move(core.counts);
  result.cache_elements = core.cache_elements;
  return result;
}

}  // namespace attnsim::gated_attn
