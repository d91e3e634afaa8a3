// LFM2 short convolution (mixers-spec-recurrent §12): the L − 1 state columns followed by
// u = B ⊙ x form one extended sequence e of L − 1 + T columns, and
// conv_t = bias + Σ_k w[:, k] ⊙ e_{t+k}; the final state is the last L − 1 columns of e. Form conv
// runs fused over blocks of tokens on the kernel threads; step and toeplitz, per sequence, build
// e first.
#include "mixers/short_conv/reference.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/avx2.h"
#include "mixers/common/parallel.h"

namespace attnsim::short_conv {
namespace {

Shapes validate(const Inputs& in) {
  require_rank(in.x.shape, 3, "x", "[B, T, D]");
  require_rank(in.conv_weight.shape, 2, "conv_weight", "[D, L]");
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1);
  const Shapes shapes{in.x.dim(2), in.conv_weight.dim(1)};
  require_shape(in.b_gate.shape, {B, T, shapes.D}, "b_gate", "B,T,D");
  require_shape(in.c_gate.shape, {B, T, shapes.D}, "c_gate", "B,T,D");
  require_shape(in.conv_weight.shape, {shapes.D, shapes.L}, "conv_weight", "D,L");
  if (!in.conv_bias.empty()) require_shape(in.conv_bias.shape, {shapes.D}, "conv_bias", "D");
  if (!in.initial_state.empty()) {
    require_shape(in.initial_state.shape, {B, shapes.D, shapes.L - 1}, "initial_state", "B,D,L-1");
  }
  if (shapes.L < 1) throw UserError(SourceLocation{}, "conv_weight", "L ≥ 1 taps", "0");
  return shapes;
}

template <class S>
struct Sequence {
  std::int64_t T, D, L;
  std::vector<S> extended;  // [L − 1 + T, D]: state columns, then u
  S at(std::int64_t column, std::int64_t d) const {
    return extended[static_cast<std::size_t>(column * D + d)];
  }
};

// Pass 1: the extended sequence of batch b (initial state transposed to [L − 1, D], then u).
template <class S>
Sequence<S> extend(const Inputs& in, const Shapes& sh, std::int64_t b, Result& result) {
  const std::int64_t T = in.x.dim(1), D = sh.D, L = sh.L;
  Sequence<S> seq{T, D, L, std::vector<S>(static_cast<std::size_t>((L - 1 + T) * D), S{0})};
  if (!in.initial_state.empty()) {
    for (std::int64_t d = 0; d < D; ++d)
      for (std::int64_t c = 0; c < L - 1; ++c)
        seq.extended[static_cast<std::size_t>(c * D + d)] =
            static_cast<S>(in.initial_state[static_cast<std::size_t>((b * D + d) * (L - 1) + c)]);
  }
  for (std::int64_t t = 0; t < T; ++t) {
    for (std::int64_t d = 0; d < D; ++d) {
      const auto i = static_cast<std::size_t>((b * T + t) * D + d);
      const S u = static_cast<S>(in.b_gate[i]) * static_cast<S>(in.x[i]);
      seq.extended[static_cast<std::size_t>((L - 1 + t) * D + d)] = u;
      result.u[i] = static_cast<double>(u);
    }
  }
  return seq;
}

template <class S>
S bias_of(const Inputs& in, std::int64_t d) {
  return in.conv_bias.empty() ? S{0} : static_cast<S>(in.conv_bias[static_cast<std::size_t>(d)]);
}

// Form conv, fused and vectorised: one task per (sequence, block of kBlock tokens), each token a
// pass over its D contiguous channels per tap; u of earlier tokens is recomputed from B and x
// (or read from the state), so a task reads only inputs. Per token and channel the arithmetic is
// the sliding window's: u = B ⊙ x, conv = bias + Σ_k w[k] ⊙ u_{t−(L−1)+k} (oldest first),
// y = C ⊙ conv, all in S.
template <class S>
struct ConvTask {
  const double *b_gate, *c_gate, *x;  // [T, D] of this sequence
  const S* taps;                      // [L, D]: tap-major weights
  const S* bias;                      // [D] (zeros without a bias)
  const S* state;                     // [L − 1, D]: the initial state, oldest column first
  double *u, *conv_out, *y;           // [T, D] of this sequence
  S* acc;                             // [D] scratch
  std::int64_t D, L, t0, n;
};

template <class S>
[[gnu::always_inline]] inline void conv_tokens(const ConvTask<S>& a) {
  const std::int64_t D = a.D, L = a.L;
  for (std::int64_t t = a.t0; t < a.t0 + a.n; ++t) {
    for (std::int64_t d = 0; d < D; ++d) a.acc[d] = a.bias[d];
    for (std::int64_t k = 0; k < L; ++k) {
      const S* w = a.taps + k * D;
      const std::int64_t tau = t - (L - 1) + k;
      if (tau < 0) {
        const S* u = a.state + (L - 1 + tau) * D;
        for (std::int64_t d = 0; d < D; ++d) a.acc[d] += w[d] * u[d];
      } else {
        const double *bg = a.b_gate + tau * D, *x = a.x + tau * D;
        for (std::int64_t d = 0; d < D; ++d)
          a.acc[d] += w[d] * (static_cast<S>(bg[d]) * static_cast<S>(x[d]));
      }
    }
    const double *bg = a.b_gate + t * D, *x = a.x + t * D, *cg = a.c_gate + t * D;
    double *u = a.u + t * D, *conv = a.conv_out + t * D, *y = a.y + t * D;
    for (std::int64_t d = 0; d < D; ++d) {
      u[d] = static_cast<double>(static_cast<S>(bg[d]) * static_cast<S>(x[d]));
      conv[d] = static_cast<double>(a.acc[d]);
      y[d] = static_cast<double>(static_cast<S>(cg[d]) * a.acc[d]);
    }
  }
}

// The same loops at AVX2 width where the CPU has it, chosen at run time (the pattern of
// mixers/common/short_conv.cpp): no FMA, so every product and sum rounds as in the baseline
// loops and both give the same bits.
#if defined(ATTNSIM_AVX2_LOOPS)
__attribute__((target("avx2"))) void conv_tokens_avx2(const ConvTask<double>& a) { conv_tokens(a); }
__attribute__((target("avx2"))) void conv_tokens_avx2(const ConvTask<float>& a) { conv_tokens(a); }
template <class S>
void run_conv_tokens(const ConvTask<S>& a) {
  if (mixers::cpu_has_avx2()) return conv_tokens_avx2(a);
  conv_tokens(a);
}
#else
template <class S>
void run_conv_tokens(const ConvTask<S>& a) {
  conv_tokens(a);
}
#endif

template <class S>
void sliding(const Inputs& in, const Shapes& sh, Result& result) {
  constexpr std::int64_t kBlock = 64;
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), D = sh.D, L = sh.L;
  std::vector<S> taps(static_cast<std::size_t>(L * D)), bias(static_cast<std::size_t>(D));
  std::vector<S> states(static_cast<std::size_t>(B * (L - 1) * D), S{0});
  for (std::int64_t d = 0; d < D; ++d) {
    bias[static_cast<std::size_t>(d)] = bias_of<S>(in, d);
    for (std::int64_t k = 0; k < L; ++k)
      taps[static_cast<std::size_t>(k * D + d)] =
          static_cast<S>(in.conv_weight[static_cast<std::size_t>(d * L + k)]);
    for (std::int64_t b = 0; !in.initial_state.empty() && b < B; ++b)
      for (std::int64_t c = 0; c < L - 1; ++c)
        states[static_cast<std::size_t>((b * (L - 1) + c) * D + d)] =
            static_cast<S>(in.initial_state[static_cast<std::size_t>((b * D + d) * (L - 1) + c)]);
  }
  const std::int64_t blocks = (T + kBlock - 1) / kBlock;
  double *u = result.u.data.data(), *conv = result.conv_out.data.data(), *y = result.y.data.data();
  mixers::parallel_for(B * blocks, [&](std::int64_t task) {
    const std::int64_t b = task / blocks, t0 = task % blocks * kBlock, at = b * T * D;
    std::vector<S> acc(static_cast<std::size_t>(D));
    run_conv_tokens<S>({in.b_gate.data.data() + at, in.c_gate.data.data() + at,
                        in.x.data.data() + at, taps.data(), bias.data(),
                        states.data() + b * (L - 1) * D, u + at, conv + at, y + at, acc.data(), D,
                        L, t0, std::min(kBlock, T - t0)});
  });
  double* final_state = result.final_state.data.data();
  for (std::int64_t b = 0; b < B; ++b)  // the last L − 1 columns of [state, u], oldest first
    for (std::int64_t c = 0; c < L - 1; ++c) {
      const std::int64_t tau = T - (L - 1) + c;
      for (std::int64_t d = 0; d < D; ++d) {
        const auto i = static_cast<std::size_t>((b * T + tau) * D + d);
        const S value = tau < 0 ? states[static_cast<std::size_t>((b * (L - 1) + T + c) * D + d)]
                                : static_cast<S>(in.b_gate[i]) * static_cast<S>(in.x[i]);
        final_state[(b * D + d) * (L - 1) + c] = static_cast<double>(value);
      }
    }
  result.counts.add("conv", B * T * L * D);
}

// Form step: decode token by token with a rolling state of L − 1 columns (causal_conv1d_update).
template <class S>
std::vector<S> stepwise(const Inputs& in, const Sequence<S>& seq, OpCounts& counts) {
  const std::int64_t D = seq.D, L = seq.L;
  std::vector<S> state(seq.extended.begin(), seq.extended.begin() + (L - 1) * D);
  std::vector<S> out(static_cast<std::size_t>(seq.T * D));
  for (std::int64_t t = 0; t < seq.T; ++t) {
    for (std::int64_t d = 0; d < D; ++d) {
      const S u = seq.at(L - 1 + t, d);
      S acc = bias_of<S>(in, d) +
              static_cast<S>(in.conv_weight[static_cast<std::size_t>(d * L + L - 1)]) * u;
      for (std::int64_t k = 0; k + 1 < L; ++k) {
        acc += static_cast<S>(in.conv_weight[static_cast<std::size_t>(d * L + k)]) *
               state[static_cast<std::size_t>(k * D + d)];
      }
      out[static_cast<std::size_t>(t * D + d)] = acc;
      for (std::int64_t k = 0; k + 2 < L; ++k)  // roll: drop the oldest column, append u
        state[static_cast<std::size_t>(k * D + d)] =
            state[static_cast<std::size_t>((k + 1) * D + d)];
      if (L > 1) state[static_cast<std::size_t>((L - 2) * D + d)] = u;
    }
    counts.add("conv", L * D);
  }
  return out;
}

// Form toeplitz: per channel the T × (L − 1 + T) banded matrix M[t, t + k] = w[k] times the
// extended sequence, every entry multiplied (the band is not exploited).
template <class S>
std::vector<S> toeplitz(const Inputs& in, const Sequence<S>& seq, OpCounts& counts) {
  const std::int64_t D = seq.D, L = seq.L, columns = L - 1 + seq.T;
  std::vector<S> out(static_cast<std::size_t>(seq.T * D));
  std::vector<S> band(static_cast<std::size_t>(seq.T * columns));
  for (std::int64_t d = 0; d < D; ++d) {
    std::fill(band.begin(), band.end(), S{0});
    for (std::int64_t t = 0; t < seq.T; ++t)
      for (std::int64_t k = 0; k < L; ++k)
        band[static_cast<std::size_t>(t * columns + t + k)] =
            static_cast<S>(in.conv_weight[static_cast<std::size_t>(d * L + k)]);
    for (std::int64_t t = 0; t < seq.T; ++t) {
      S acc = bias_of<S>(in, d);
      for (std::int64_t c = 0; c < columns; ++c)
        acc += band[static_cast<std::size_t>(t * columns + c)] * seq.at(c, d);
      out[static_cast<std::size_t>(t * D + d)] = acc;
    }
  }
  counts.add("conv", seq.T * columns * D);
  return out;
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), D = sh.D, L = sh.L;
  Result result;
  result.y = Tensor({B, T, D});
  result.u = Tensor({B, T, D});
  result.conv_out = Tensor({B, T, D});
  result.final_state = Tensor({B, D, L - 1});
  result.state_elements = B * state_elements(sh);
  if (options.form == Form::conv) {
    sliding<S>(in, sh, result);
    return result;
  }
  mixers::parallel_for_counted(B, result.counts, [&](std::int64_t b, OpCounts& counts) {
    const Sequence<S> seq = extend<S>(in, sh, b, result);
    const std::vector<S> conv =
        options.form == Form::step ? stepwise(in, seq, counts) : toeplitz(in, seq, counts);
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t d = 0; d < D; ++d) {
        const auto i = static_cast<std::size_t>((b * T + t) * D + d);
        const S c = conv[static_cast<std::size_t>(t * D + d)];
        result.conv_out[i] = static_cast<double>(c);
        result.y[i] = static_cast<double>(static_cast<S>(in.c_gate[i]) * c);
      }
    }
    for (std::int64_t d = 0; d < D; ++d)  // the last L − 1 columns of the extended sequence
      for (std::int64_t c = 0; c < L - 1; ++c)
        result.final_state[static_cast<std::size_t>((b * D + d) * (L - 1) + c)] =
            static_cast<double>(seq.at(T + c, d));
  });
  return result;
}

}  // namespace

Inputs split_bcx(const Tensor& bcx) {
  require_rank(bcx.shape, 3, "bcx", "[B, T, 3D]");
  const std::int64_t B = bcx.dim(0), T = bcx.dim(1), D = bcx.dim(2) / 3;
  if (bcx.dim(2) != 3 * D) {
    throw UserError(SourceLocation{}, "bcx", "a last axis of 3·D (B | C | x)",
                    shape_string(bcx.shape));
  }
  Inputs in{Tensor({B, T, D}), Tensor({B, T, D}), Tensor({B, T, D}), {}, {}, {}};
  Tensor* parts[] = {&in.b_gate, &in.c_gate, &in.x};
  for (std::int64_t row = 0; row < B * T; ++row)
    for (std::int64_t part = 0; part < 3; ++part)
      for (std::int64_t d = 0; d < D; ++d)
        (*parts[part])[static_cast<std::size_t>(row * D + d)] =
            bcx[static_cast<std::size_t>(row * 3 * D + part * D + d)];
  return in;
}

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::short_conv
