// Mamba-2 SSD (mixers-spec §8):
//   Δ_t = clip(softplus(dt_t + dt_bias)),  h_t = exp(Δ_t A) h_{t−1} + Δ_t x_t B_tᵀ,
//   y_t = h_t C_t + D x_t.
// It is the scalar-decay kernel with q ← C, k ← B, v ← Δx, g ← ΔA and state S = hᵀ [N, P].
#include "mixers/mamba2/reference.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "mixers/common/activations.h"
#include "mixers/common/parallel.h"
#include "mixers/common/scalar_decay.h"

namespace attnsim::mamba2 {
namespace {

using mixers::HeadMatrix;

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.x.shape, 4, "x", "[B, T, H, P]");
  require_rank(in.Bm.shape, 4, "Bm", "[B, T, G, N]");
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1);
  const Shapes shapes{in.x.dim(2), in.x.dim(3), in.Bm.dim(3), in.Bm.dim(2)};
  require_shape(in.dt.shape, {B, T, shapes.H}, "dt", "B,T,H");
  require_shape(in.dt_bias.shape, {shapes.H}, "dt_bias", "H");
  require_shape(in.A.shape, {shapes.H}, "A", "H");
  require_shape(in.D.shape, {shapes.H}, "D", "H");
  require_shape(in.Bm.shape, {B, T, shapes.G, shapes.N}, "Bm", "B,T,G,N");
  require_shape(in.Cm.shape, {B, T, shapes.G, shapes.N}, "Cm", "B,T,G,N");
  if (!in.initial_state.empty()) {
    require_shape(in.initial_state.shape, {B, shapes.H, shapes.P, shapes.N}, "initial_state",
                  "B,H,P,N");
  }
  if (shapes.G < 1 || shapes.H % shapes.G != 0) {
    throw UserError(SourceLocation{}, "H", "a multiple of G = " + std::to_string(shapes.G),
                    std::to_string(shapes.H));
  }
  if (options.chunk_size < 1) {
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  }
  if (!(options.dt_min <= options.dt_max)) {
    throw UserError(SourceLocation{}, "dt_limit", "dt_min ≤ dt_max",
                    std::to_string(options.dt_min) + " > " + std::to_string(options.dt_max));
  }
  return shapes;
}

// Δ = clip(softplus(dt + dt_bias), dt_min, dt_max), [B, T, H].
Tensor discretize_dt(const Inputs& in, const Options& options) {
  Tensor delta = in.dt;
  const std::int64_t H = in.dt.dim(2);
  for (std::size_t i = 0; i < delta.size(); ++i) {
    double z = delta[i] + in.dt_bias[i % static_cast<std::size_t>(H)];
    if (options.dt_softplus) z = mixers::softplus(z);
    delta[i] = std::clamp(z, options.dt_min, options.dt_max);
  }
  return delta;
}

// [N, P] ↔ [P, N]: the kernel keeps S = hᵀ (key-major), mamba_ssm stores h [P, N].
template <class S>
HeadMatrix<S> transposed(const HeadMatrix<S>& m) {
  HeadMatrix<S> t(m.cols, m.rows);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t c = 0; c < m.cols; ++c) t.at(c, r) = m.at(r, c);
  }
  return t;
}

// Head h of sequence b of x (conv part 0), Bm (1) or Cm (2), through the conv when there is one.
mixers::HeadRows rows_of(const Inputs& in, const Tensor& x, std::size_t part, std::int64_t b,
                         std::int64_t h) {
  return in.conv ? mixers::conv_rows(*in.conv, part, b, h) : mixers::head_rows(x, b, h);
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), group = sh.H / sh.G;
  Result result;
  result.dt_discretized = discretize_dt(in, options);
  result.y = Tensor({B, T, sh.H, sh.P});
  result.final_state = in.initial_state.empty() ? Tensor({B, sh.H, sh.P, sh.N}) : in.initial_state;
  const bool chunked = options.form == Form::chunked;
  // In the chunked form C Bᵀ per chunk, computed once per (sequence, group) and shared by the
  // group's heads.
  std::vector<HeadMatrix<S>> scores(chunked ? static_cast<std::size_t>(B * sh.G) : 0);
  if (chunked) {
    mixers::parallel_for_counted(B * sh.G, result.counts, [&](std::int64_t task, OpCounts& counts) {
      const std::int64_t b = task / sh.G, g = task % sh.G;
      scores[static_cast<std::size_t>(task)] = mixers::chunk_scores<S>(
          rows_of(in, in.Cm, 2, b, g), rows_of(in, in.Bm, 1, b, g), T, options.chunk_size, counts);
    });
  }
  mixers::for_each_head_block(
      B, sh.H, result.counts,
      [&](std::int64_t b, std::int64_t h0, std::int64_t h1, OpCounts& counts) {
        std::vector<mixers::DecayHead> heads;
        std::vector<const HeadMatrix<S>*> head_scores;
        std::vector<HeadMatrix<S>> states;
        std::vector<mixers::HeadOutput> outputs;
        for (std::int64_t h = h0; h < h1; ++h) {
          const std::int64_t g = h / group;
          // q ← C, k ← B, v ← Δ x, g ← Δ A, and y gets D x.
          const double* delta = result.dt_discretized.data.data() + b * T * sh.H + h;
          heads.push_back({rows_of(in, in.Cm, 2, b, g),
                           rows_of(in, in.Bm, 1, b, g),
                           rows_of(in, in.x, 0, b, h),
                           1.0,
                           {delta, sh.H, 1.0},
                           {delta, sh.H, in.A[static_cast<std::size_t>(h)]},
                           in.D[static_cast<std::size_t>(h)]});
          head_scores.push_back(chunked ? &scores[static_cast<std::size_t>(b * sh.G + g)]
                                        : nullptr);
          states.push_back(
              transposed(mixers::gather_matrix<S>(result.final_state, b * sh.H + h, sh.P, sh.N)));
          outputs.push_back(mixers::head_output(result.y, b, h));
        }
        if (chunked) {
          mixers::scalar_decay_chunked(heads, T, head_scores, options.chunk_size, states, outputs,
                                       counts);
        } else {
          for (std::size_t i = 0; i < heads.size(); ++i)
            mixers::scalar_decay_recurrent(heads[i], T, states[i], outputs[i], counts);
        }
        for (std::int64_t h = h0; h < h1; ++h)
          mixers::scatter_matrix(transposed(states[static_cast<std::size_t>(h - h0)]),
                                 result.final_state, b * sh.H + h);
      });
  result.state_elements = B * state_elements(sh);
  return result;
}

}  // namespace

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::mamba2
