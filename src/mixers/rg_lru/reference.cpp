// RG-LRU (mixers-spec-recurrent §11): pass 1, per (sequence, gate block), computes the gates,
// log a, the reset mask and x̃ = m ⊙ gate_x ⊙ x a tile of tokens at a time, and form recurrent
// runs its scan over each tile there; pass 2, per sequence, runs the chunked or scan form over
// (ã, x̃).
#include "mixers/rg_lru/reference.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/parallel.h"
#include "mixers/common/vector_exp.h"

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

// softplus(z) = log(1 + e^z), without overflow for large z.
template <class S>
S softplus(S z) {
  return z > S{0} ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

template <class S>
using RowMatrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<>;

// The layer's constants in S: block h's two gates side by side, [bw, 2·bw] = [Wx[h] | Wa[h]]
// (in, out), so one product per block gives both; their biases [1, 2·bw]; softplus(Λ) [1, W].
template <class S>
struct Weights {
  std::vector<RowMatrix<S>> gates;
  std::vector<RowMatrix<S>> biases;
  RowMatrix<S> softplus_lambda;
};

template <class S>
Weights<S> weights_of(const Inputs& in, const Shapes& sh) {
  const std::int64_t bw = sh.W / sh.H;
  Weights<S> w;
  for (std::int64_t h = 0; h < sh.H; ++h) {
    RowMatrix<S> both(bw, 2 * bw), bias(1, 2 * bw);
    const auto block = static_cast<std::size_t>(h * bw * bw);
    both.leftCols(bw) =
        Eigen::Map<const RowMatrix<double>>(in.input_gate_w.data.data() + block, bw, bw)
            .template cast<S>();
    both.rightCols(bw) =
        Eigen::Map<const RowMatrix<double>>(in.a_gate_w.data.data() + block, bw, bw)
            .template cast<S>();
    for (std::int64_t j = 0; j < bw; ++j) {
      bias(0, j) = static_cast<S>(in.input_gate_b[static_cast<std::size_t>(h * bw + j)]);
      bias(0, bw + j) = static_cast<S>(in.a_gate_b[static_cast<std::size_t>(h * bw + j)]);
    }
    w.gates.push_back(std::move(both));
    w.biases.push_back(std::move(bias));
  }
  w.softplus_lambda.resize(1, sh.W);
  for (std::int64_t i = 0; i < sh.W; ++i)
    w.softplus_lambda(0, i) = softplus(static_cast<S>(in.a_param[static_cast<std::size_t>(i)]));
  return w;
}

// ã and x̃ of every token and channel of one sequence, [T, W] row-major (forms chunked, scan).
template <class S>
struct Prepared {
  std::vector<S> a_tilde, x_tilde;
};

// Where one (sequence, gate block) task writes: the result's float64 tensors, and either the
// recurrence's output (form recurrent, fused into pass 1) or ã and x̃ for the other forms.
template <class S>
struct Targets {
  double *gate_x, *gate_a, *log_a, *normalized_x, *y, *final_state;
  Prepared<S>* prepared;  // null: run the recurrence here
};

// Pass 1 for gate block h of sequence b, kTile tokens at a time, the block's bw channels side by
// side: the gates as one product [n, bw]·[bw, 2·bw] (BLAS), the sigmoids' and decays' exps over
// the whole tile (exp_in_place, expm1_in_place), the rest as Eigen array expressions:
//   gate = σ(x_h · [Wx | Wa][h] + b),  log a = −c·gate_a·softplus(Λ),
//   ã = e^{log a}, m = sqrt(−expm1(2 log a)); at a reset ã = 0, m = 1;  x̃ = m ⊙ gate_x ⊙ x.
// Form recurrent then runs h_t = ã_t ⊙ h_{t−1} + x̃_t over the tile's rows (channels
// contiguous), so no [T, W] buffer is written.
template <class S>
void gate_block(const Inputs& in, const Options& options, const Shapes& sh, const Weights<S>& w,
                std::int64_t b, std::int64_t h, const Targets<S>& out, OpCounts& counts) {
  constexpr std::int64_t kTile = 128;
  const std::int64_t T = in.x.dim(1), W = sh.W, bw = W / sh.H, first = h * bw;
  RowMatrix<S> x(kTile, bw), z(kTile, 2 * bw), log_a(kTile, bw), m(kTile, bw), a(kTile, bw);
  Eigen::Array<S, 1, Eigen::Dynamic> state(bw);
  for (std::int64_t j = 0; j < bw; ++j)
    state(j) = in.initial_state.empty()
                   ? S{0}
                   : static_cast<S>(in.initial_state[static_cast<std::size_t>(b * W + first + j)]);
  const auto rows = [&](double* tensor, std::int64_t t0, std::int64_t n) {
    return Eigen::Map<RowMatrix<double>, 0, Strided>(tensor + (b * T + t0) * W + first, n, bw,
                                                     Strided(W));
  };
  for (std::int64_t t0 = 0; t0 < T; t0 += kTile) {
    const std::int64_t n = std::min(kTile, T - t0);
    auto xs = x.topRows(n);
    xs = Eigen::Map<const RowMatrix<double>, 0, Strided>(
             in.x.data.data() + (b * T + t0) * W + first, n, bw, Strided(W))
             .template cast<S>();
    auto zs = z.topRows(n);
    zs.noalias() = xs * w.gates[static_cast<std::size_t>(h)];
    zs.array() = -(zs.array().rowwise() + w.biases[static_cast<std::size_t>(h)].array().row(0));
    mixers::exp_in_place(zs.data(), n * 2 * bw);
    zs.array() = (S{1} + zs.array()).inverse();  // σ(z) = 1 / (1 + e^{−z})
    const auto gx = zs.leftCols(bw).array(), ga = zs.rightCols(bw).array();
    auto la = log_a.topRows(n).array(), ms = m.topRows(n).array(), as = a.topRows(n).array();
    la = (S(-options.c) * ga).rowwise() * w.softplus_lambda.block(0, first, 1, bw).array().row(0);
    ms = S{2} * la;
    mixers::expm1_in_place(m.data(), n * bw);
    ms = (-ms).sqrt();
    as = la;
    mixers::exp_in_place(a.data(), n * bw);
    if (!in.segment_pos.empty()) {
      for (std::int64_t r = 0; r < n; ++r) {
        if (in.segment_pos[static_cast<std::size_t>(b * T + t0 + r)] != 0) continue;
        as.row(r).setZero();
        ms.row(r).setOnes();
      }
    }
    ms = ms * gx * xs.array();  // x̃ = m ⊙ gate_x ⊙ x, in m's place
    rows(out.gate_x, t0, n) = gx.matrix().template cast<double>();
    rows(out.gate_a, t0, n) = ga.matrix().template cast<double>();
    rows(out.log_a, t0, n) = la.matrix().template cast<double>();
    rows(out.normalized_x, t0, n) = ms.matrix().template cast<double>();
    if (out.prepared != nullptr) {
      for (std::int64_t r = 0; r < n; ++r) {
        const auto at = static_cast<std::size_t>((t0 + r) * W + first);
        std::copy_n(a.data() + r * bw, bw, out.prepared->a_tilde.data() + at);
        std::copy_n(m.data() + r * bw, bw, out.prepared->x_tilde.data() + at);
      }
      continue;
    }
    auto ys = rows(out.y, t0, n);
    for (std::int64_t r = 0; r < n; ++r) {
      state = as.row(r) * state + ms.row(r);
      ys.row(r) = state.matrix().template cast<double>();
    }
  }
  counts.add("gates", 2 * T * bw * bw);
  if (out.prepared != nullptr) return;
  counts.add("state_update", T * bw);
  for (std::int64_t j = 0; j < bw; ++j)  // h_T; with T = 0 the initial state passes through
    out.final_state[b * W + first + j] = static_cast<double>(state(j));
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
  const Weights<S> weights = weights_of<S>(in, sh);
  const bool fused = options.form == Form::recurrent;
  std::vector<Prepared<S>> prepared(fused ? 0 : static_cast<std::size_t>(B));
  for (Prepared<S>& p : prepared) {
    p.a_tilde.resize(static_cast<std::size_t>(T * W));
    p.x_tilde.resize(static_cast<std::size_t>(T * W));
  }
  // Pass 1 (and form recurrent): one task per (sequence, gate block), as blocks and channels are
  // independent; each task's arithmetic is the same on any thread.
  Targets<S> targets{result.gate_x.data.data(),
                     result.gate_a.data.data(),
                     result.log_a.data.data(),
                     result.normalized_x.data.data(),
                     result.y.data.data(),
                     result.final_state.data.data(),
                     nullptr};
  mixers::parallel_for_counted(B * sh.H, result.counts, [&](std::int64_t task, OpCounts& counts) {
    Targets<S> mine = targets;
    if (!fused) mine.prepared = &prepared[static_cast<std::size_t>(task / sh.H)];
    gate_block<S>(in, options, sh, weights, task / sh.H, task % sh.H, mine, counts);
  });
  result.state_elements = B * state_elements(sh);
  if (fused) return result;
  // Pass 2, forms chunked and scan: over all of a sequence's tokens at once.
  mixers::parallel_for_counted(B, result.counts, [&](std::int64_t b, OpCounts& counts) {
    const Prepared<S>& p = prepared[static_cast<std::size_t>(b)];
    std::vector<S> h(static_cast<std::size_t>(W), S{0});
    if (!in.initial_state.empty())
      for (std::int64_t w = 0; w < W; ++w)
        h[static_cast<std::size_t>(w)] =
            static_cast<S>(in.initial_state[static_cast<std::size_t>(b * W + w)]);
    const std::vector<S> y = options.form == Form::chunked
                                 ? chunked(p, h, T, options.chunk_size, counts)
                                 : scan(p, h, T, counts);
    double* out = targets.y + b * T * W;
    for (std::int64_t i = 0; i < T * W; ++i)
      out[i] = static_cast<double>(y[static_cast<std::size_t>(i)]);
    for (std::int64_t w = 0; w < W; ++w)  // h_T = y_{T−1}; with T = 0 the state passes through
      targets.final_state[b * W + w] =
          T > 0 ? static_cast<double>(y[static_cast<std::size_t>((T - 1) * W + w)])
                : static_cast<double>(h[static_cast<std::size_t>(w)]);
  });
  return result;
}

}  // namespace

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::rg_lru
