// RG-LRU (mixers-spec-recurrent §11), per sequence: pass 1 computes the gates, log a, the reset
// mask and x̃ = m ⊙ gate_x ⊙ x for every token; pass 2 runs the chosen form over (ã, x̃).
#include "mixers/rg_lru/reference.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/parallel.h"

namespace attnsim::rg_lru {
namespace {

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.x.shape, 3, "x", "[B, T, W]");
  require_rank(in.input_gate_w.shape, 3, "input_gate_w", "[H, bw, bw]");
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), W = in.x.dim(2);
  const std::int64_t H = in.input_gate_w.dim(0), bw = in.input_gate_w.dim(1);
  if (H * bw != W) {
    throw UserError(SourceLocation{}, "input_gate_w", "[H, W/H, W/H] with H·bw = W",
                    shape_string(in.input_gate_w.shape));
  }
  require_shape(in.input_gate_w.shape, {H, bw, bw}, "input_gate_w", "H,bw,bw");
  require_shape(in.a_gate_w.shape, {H, bw, bw}, "a_gate_w", "H,bw,bw");
  require_shape(in.input_gate_b.shape, {H, bw}, "input_gate_b", "H,bw");
  require_shape(in.a_gate_b.shape, {H, bw}, "a_gate_b", "H,bw");
  require_shape(in.a_param.shape, {W}, "a_param", "W");
  if (!in.segment_pos.empty()) require_shape(in.segment_pos.shape, {B, T}, "segment_pos", "B,T");
  if (!in.initial_state.empty())
    require_shape(in.initial_state.shape, {B, W}, "initial_state", "B,W");
  if (options.chunk_size < 1)
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  return {W, H};
}

template <class S>
S sigmoid(S z) {
  return S{1} / (S{1} + std::exp(-z));
}

// softplus(z) = log(1 + e^z), without overflow for large z.
template <class S>
S softplus(S z) {
  return z > S{0} ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

// One sequence after pass 1: ã and x̃ per token and channel, [T, W] row-major.
template <class S>
struct Prepared {
  std::vector<S> a_tilde, x_tilde;
};

// Pass 1: gates (block h: x_h · W[h] + b[h], (in, out) layout), log a, reset, x̃.
template <class S>
Prepared<S> prepare(const Inputs& in, const Options& options, const Shapes& sh, std::int64_t b,
                    Result& result, OpCounts& counts) {
  const std::int64_t T = in.x.dim(1), W = sh.W, bw = W / sh.H;
  Prepared<S> p{std::vector<S>(static_cast<std::size_t>(T * W)),
                std::vector<S>(static_cast<std::size_t>(T * W))};
  std::vector<S> gx(static_cast<std::size_t>(W)), ga(static_cast<std::size_t>(W));
  for (std::int64_t t = 0; t < T; ++t) {
    const auto row = static_cast<std::size_t>((b * T + t) * W);
    for (std::int64_t h = 0; h < sh.H; ++h) {
      for (std::int64_t j = 0; j < bw; ++j) {
        const auto bias = static_cast<std::size_t>(h * bw + j);
        S zx = static_cast<S>(in.input_gate_b[bias]), za = static_cast<S>(in.a_gate_b[bias]);
        for (std::int64_t i = 0; i < bw; ++i) {
          const S xi = static_cast<S>(in.x[row + static_cast<std::size_t>(h * bw + i)]);
          const auto w = static_cast<std::size_t>((h * bw + i) * bw + j);
          zx += xi * static_cast<S>(in.input_gate_w[w]);
          za += xi * static_cast<S>(in.a_gate_w[w]);
        }
        gx[bias] = sigmoid(zx);
        ga[bias] = sigmoid(za);
      }
    }
    const bool reset =
        !in.segment_pos.empty() && in.segment_pos[static_cast<std::size_t>(b * T + t)] == 0;
    for (std::int64_t w = 0; w < W; ++w) {
      const auto i = static_cast<std::size_t>(w);
      const S log_a = -static_cast<S>(options.c) * ga[i] * softplus(static_cast<S>(in.a_param[i]));
      const S m = reset ? S{1} : std::sqrt(-std::expm1(S{2} * log_a));
      const S x_tilde = m * gx[i] * static_cast<S>(in.x[row + i]);
      p.a_tilde[static_cast<std::size_t>(t * W + w)] = reset ? S{0} : std::exp(log_a);
      p.x_tilde[static_cast<std::size_t>(t * W + w)] = x_tilde;
      result.gate_x[row + i] = static_cast<double>(gx[i]);
      result.gate_a[row + i] = static_cast<double>(ga[i]);
      result.log_a[row + i] = static_cast<double>(log_a);
      result.normalized_x[row + i] = static_cast<double>(x_tilde);
    }
  }
  counts.add("gates", 2 * T * W * bw);
  return p;
}

// Form recurrent: h_t = ã_t ⊙ h_{t−1} + x̃_t.
template <class S>
std::vector<S> recurrent(const Prepared<S>& p, std::vector<S> h, std::int64_t T, OpCounts& counts) {
  const auto W = static_cast<std::int64_t>(h.size());
  std::vector<S> y(static_cast<std::size_t>(T * W));
  for (std::int64_t t = 0; t < T; ++t) {
    for (std::int64_t w = 0; w < W; ++w) {
      const auto i = static_cast<std::size_t>(t * W + w);
      h[static_cast<std::size_t>(w)] = p.a_tilde[i] * h[static_cast<std::size_t>(w)] + p.x_tilde[i];
      y[i] = h[static_cast<std::size_t>(w)];
    }
  }
  counts.add("state_update", T * W);
  return y;
}

// Form chunked: within a chunk, Γ_i = Σ_{s≤t≤i} log ã_t over non-reset tokens and R_i the resets
// so far; y_i = [R_i = 0] e^{Γ_i} h₀ + Σ_{j≤i, R_j = R_i} e^{Γ_i − Γ_j} x̃_j. Every exponent is
// a later minus an earlier cumulative sum, ≤ 0.
template <class S>
std::vector<S> chunked(const Prepared<S>& p, std::vector<S> h, std::int64_t T, std::int64_t C,
                       OpCounts& counts) {
  const auto W = static_cast<std::int64_t>(h.size());
  std::vector<S> y(static_cast<std::size_t>(T * W));
  std::vector<S> gamma(static_cast<std::size_t>(C));
  std::vector<std::int64_t> resets(static_cast<std::size_t>(C));
  for (std::int64_t start = 0; start < T; start += C) {
    const std::int64_t c = std::min(C, T - start);
    for (std::int64_t w = 0; w < W; ++w) {
      S cumulative{0};
      std::int64_t count = 0;
      for (std::int64_t i = 0; i < c; ++i) {
        const S a = p.a_tilde[static_cast<std::size_t>((start + i) * W + w)];
        if (a == S{0})
          ++count;  // a reset (a = e^{log a} > 0 otherwise)
        else
          cumulative += std::log(a);
        gamma[static_cast<std::size_t>(i)] = cumulative;
        resets[static_cast<std::size_t>(i)] = count;
      }
      for (std::int64_t i = 0; i < c; ++i) {
        const S gi = gamma[static_cast<std::size_t>(i)];
        S value = resets[static_cast<std::size_t>(i)] == 0
                      ? std::exp(gi) * h[static_cast<std::size_t>(w)]
                      : S{0};
        for (std::int64_t j = 0; j <= i; ++j) {
          if (resets[static_cast<std::size_t>(j)] != resets[static_cast<std::size_t>(i)]) continue;
          value += std::exp(gi - gamma[static_cast<std::size_t>(j)]) *
                   p.x_tilde[static_cast<std::size_t>((start + j) * W + w)];
        }
        y[static_cast<std::size_t>((start + i) * W + w)] = value;
      }
      h[static_cast<std::size_t>(w)] = y[static_cast<std::size_t>((start + c - 1) * W + w)];
    }
    counts.add("intra_output", c * (c + 1) / 2 * W);
    counts.add("state_read", c * W);
  }
  return y;
}

// Form scan (Hillis–Steele): (A, X)_t ← (A_t A_{t−k}, A_t X_{t−k} + X_t) for k = 1, 2, 4, …,
// then y_t = X_t + A_t h₀.
template <class S>
std::vector<S> scan(const Prepared<S>& p, const std::vector<S>& h, std::int64_t T,
                    OpCounts& counts) {
  const auto W = static_cast<std::int64_t>(h.size());
  std::vector<S> A = p.a_tilde, X = p.x_tilde;
  for (std::int64_t offset = 1; offset < T; offset *= 2) {
    for (std::int64_t t = T - 1; t >= offset; --t) {  // descending: t − offset is still old
      for (std::int64_t w = 0; w < W; ++w) {
        const auto now = static_cast<std::size_t>(t * W + w);
        const auto before = static_cast<std::size_t>((t - offset) * W + w);
        X[now] = A[now] * X[before] + X[now];
        A[now] = A[now] * A[before];
      }
    }
    counts.add("scan", (T - offset) * W);
  }
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t w = 0; w < W; ++w) {
      const auto i = static_cast<std::size_t>(t * W + w);
      X[i] = X[i] + A[i] * h[static_cast<std::size_t>(w)];
    }
  counts.add("state_read", T * W);
  return X;
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), W = sh.W;
  Result result;
  for (Tensor* t : {&result.y, &result.gate_x, &result.gate_a, &result.log_a, &result.normalized_x})
    *t = Tensor({B, T, W});
  result.final_state = Tensor({B, W});
  mixers::parallel_for_counted(B, result.counts, [&](std::int64_t b, OpCounts& counts) {
    const Prepared<S> p = prepare<S>(in, options, sh, b, result, counts);
    std::vector<S> h(static_cast<std::size_t>(W), S{0});
    if (!in.initial_state.empty())
      for (std::int64_t w = 0; w < W; ++w)
        h[static_cast<std::size_t>(w)] =
            static_cast<S>(in.initial_state[static_cast<std::size_t>(b * W + w)]);
    const std::vector<S> y = options.form == Form::recurrent ? recurrent(p, h, T, counts)
                             : options.form == Form::chunked
                                 ? chunked(p, h, T, options.chunk_size, counts)
                                 : scan(p, h, T, counts);
    for (std::int64_t i = 0; i < T * W; ++i)
      result.y[static_cast<std::size_t>(b * T * W + i)] =
          static_cast<double>(y[static_cast<std::size_t>(i)]);
    for (std::int64_t w = 0; w < W; ++w)  // h_T = y_{T−1}; with T = 0 the state passes through
      result.final_state[static_cast<std::size_t>(b * W + w)] =
          T > 0 ? static_cast<double>(y[static_cast<std::size_t>((T - 1) * W + w)])
                : static_cast<double>(h[static_cast<std::size_t>(w)]);
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

}  // namespace attnsim::rg_lru
