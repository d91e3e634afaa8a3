// Gated delta rule (mixers-spec §5, §6). Per value head j, with q/k head j // (HV/H):
//   S' = Diag(exp g_t) S,  u_t = β_t (v_t − S'ᵀ k̂_t),  S_t = S' + k̂_t u_tᵀ,  o_t = S_tᵀ q̂_t.
#include "mixers/common/delta_rule.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"
#include "mixers/common/avx2.h"
#include "mixers/common/decay_blocks.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"
#include "mixers/common/scalar_decay.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mixers {
namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Map = Eigen::Map<Mat<S>>;
template <class S>
using ConstMap = Eigen::Map<const Mat<S>>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

template <class S>
Mat<S> to_eigen(const HeadMatrix<S>& m) {
  return ConstMap<S>(m.data.data(), m.rows, m.cols);
}

// One value head: q̂, k̂ [T, K], v [T, V], β [T], gates g [T, 1] or [T, K].
template <class S>
struct Head {
  Mat<S> q, k, v, g;
  Eigen::Matrix<S, Eigen::Dynamic, 1> beta;
};

// mixers-spec §5: x / sqrt(Σ x² + ε) (ε = 1e-6 upstream), per row of x [rows, cols] (rows
// `stride` apart), times `factor` (q's scale), as one multiply per element by
// factor / sqrt(Σ x² + ε). Σ x² is eight running sums combined in a fixed order, a plain loop
// that runs at AVX2 width where the CPU has it (see l2_normalize_rows) and rounds the same on
// any machine.
template <class S>
[[gnu::always_inline]] inline void l2_normalize(S* x, std::int64_t rows, std::int64_t cols,
                                                std::int64_t stride, S eps, S factor) {
  for (std::int64_t r = 0; r < rows; ++r) {
    S* row = x + r * stride;
    S sums[8] = {};
    std::int64_t d = 0;
    for (; d + 8 <= cols; d += 8)
      for (std::int64_t j = 0; j < 8; ++j) sums[j] += row[d + j] * row[d + j];
    for (std::int64_t j = 0; d < cols; ++d, ++j) sums[j] += row[d] * row[d];
    const S squares =
        ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    const S scale = factor / std::sqrt(squares + eps);
    for (d = 0; d < cols; ++d) row[d] *= scale;
  }
}

#if defined(ATTNSIM_AVX2_LOOPS)
template <class S>
__attribute__((target("avx2"))) void l2_normalize_avx2(S* x, std::int64_t rows, std::int64_t cols,
                                                       std::int64_t stride, S eps, S factor) {
  l2_normalize(x, rows, cols, stride, eps, factor);
}
#endif

// l2_normalize on the rows of a row-major Eigen matrix or block of whole rows.
template <class Rows>
void l2_normalize_rows(Rows&& x, double eps, double factor = 1.0) {
  using S = typename std::decay_t<Rows>::Scalar;
  const S e = static_cast<S>(eps), f = static_cast<S>(factor);
#if defined(ATTNSIM_AVX2_LOOPS)
  if (cpu_has_avx2()) return l2_normalize_avx2(x.data(), x.rows(), x.cols(), x.outerStride(), e, f);
#endif
  l2_normalize(x.data(), x.rows(), x.cols(), x.outerStride(), e, f);
}

// q̂ = scale · l2norm(q), k̂ = l2norm(k) (or q̂ = scale · q, k̂ = k without the l2norm).
template <class Q, class K>
void normalize_qk(Q&& q, K&& k, const DeltaRuleOptions& options) {
  using S = typename std::decay_t<Q>::Scalar;
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(q.cols())));
  if (options.use_qk_l2norm) {
    l2_normalize_rows(q, options.l2norm_eps, scale);
    l2_normalize_rows(k, options.l2norm_eps);
  } else {
    q *= static_cast<S>(scale);
  }
}

// Decay factors exp(γ) for a gate row γ [1, Kg], as a column [K, 1] over the key channels.
template <class S>
Eigen::Matrix<S, Eigen::Dynamic, 1> channel_decay(const Mat<S>& gate_row, Eigen::Index K) {
  if (gate_row.cols() == 1)
    return Eigen::Matrix<S, Eigen::Dynamic, 1>::Constant(K, std::exp(gate_row(0, 0)));
  return gate_row.transpose().array().exp().matrix();
}

template <class S>
Mat<S> recurrent(const Head<S>& x, Mat<S>& state, OpCounts& counts) {
  const Eigen::Index T = x.q.rows(), K = x.q.cols(), V = x.v.cols();
  Mat<S> o(T, V);
  for (Eigen::Index t = 0; t < T; ++t) {
    state = channel_decay<S>(x.g.row(t), K).asDiagonal() * state;  // decay first
    const auto k = x.k.row(t);
    const Eigen::Matrix<S, 1, Eigen::Dynamic> u = x.beta(t) * (x.v.row(t) - k * state);
    state.noalias() += k.transpose() * u;
    o.row(t).noalias() = x.q.row(t) * state;  // read after the update
  }
  counts.add("prediction", T * K * V);
  counts.add("state_update", T * K * V);
  counts.add("readout", T * K * V);
  return o;
}

// The chunked form works on one chunk of one value head at a time, loaded straight from the
// [B, T, H, D] inputs into buffers that live as long as the task (no per-head copies of the
// whole sequence, no allocation per chunk). qk stacks the chunk's q̂ rows [c, K] on its k̂ rows
// [c, K]; decayed holds the same rows times e^Γ, which is the left factor of both the pair
// products (per-channel gate) and the state read.
template <class S>
struct ChunkBuffers {
  Mat<S> qk, v, g, gamma, growth;  // [2c, K], [c, V], [c, Kg], Γ and e^Γ [c, Kg]
  Vec<S> beta;
  Mat<S> products;               // [2c, c]: the q̂·k̂ scores over the k̂·k̂ scores
  Mat<S> decayed, read, u;       // [2c, K], [2c, V] (becomes O on top), [c, V]
  Mat<S> shrink, to_end, range;  // (blocks) scaled rows; exp(Γ_C − Γ); Γ's range per channel
  Mat<S> k_to_end;               // [c, K]: exp(Γ_C − Γ) ⊙ K̂, the state update's left factor
  Mat<S> to_block, from_block, block_products;  // the blockwise per-channel products
  std::vector<S> pairs;  // Γ_i − Γ_j for j ≤ i, row by row, then their exps
};

// Scalar gate: the scores [q̂; k̂] k̂ᵀ (in x.products) times exp(Γ_i − Γ_j), in place, in one
// pass over the lower triangle: qk(i, j) for j ≤ i, kk(i, j) β_i for j < i. The exps are taken
// of the c(c+1)/2 pairs j ≤ i only. qk's upper triangle is zeroed (it enters a full product);
// kk's diagonal and upper triangle are left as they are (the unit-lower solve reads neither).
template <class S>
void scalar_gate_scores(Eigen::Index c, ChunkBuffers<S>& x) {
  x.pairs.resize(static_cast<std::size_t>(c * (c + 1) / 2));
  S* pair = x.pairs.data();
  for (Eigen::Index i = 0; i < c; ++i)
    for (Eigen::Index j = 0; j <= i; ++j) *pair++ = x.gamma(i, 0) - x.gamma(j, 0);
  exp_in_place(x.pairs.data(), static_cast<std::int64_t>(x.pairs.size()));
  const S* decay = x.pairs.data();
  for (Eigen::Index i = 0; i < c; ++i, decay += i) {
    S* qk = &x.products(i, 0);
    S* kk = &x.products(c + i, 0);
    const S beta = x.beta(i);
    for (Eigen::Index j = 0; j < i; ++j) {
      qk[j] *= decay[j];
      kk[j] = beta * (kk[j] * decay[j]);
    }
    qk[i] *= decay[i];
    for (Eigen::Index j = i + 1; j < c; ++j) qk[j] = 0;
  }
}

// Per-channel gate, the pair products (Γ = chunk-local cumulative gates [c, K]):
//   qk(i, j) = Σ_d q̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j ≤ i
//   kk(i, j) = Σ_d k̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j < i
// into x.products (qk on top of kk), exact for j ≤ i (other entries arbitrary), in blocks of
// rows [r, r + n) against a reference Γ_ref = Γ_{r−1} (0 for the first block). For rows i of the
// block and any j ≤ i,
//   exp(Γ_i − Γ_j) = exp(Γ_i − Γ_ref)·exp(Γ_ref − Γ_j),
// so one product of rescaled rows gives all the block's pairs. With gates ≤ 0 the first factor
// is ≤ 1 and so is the second for j < r; for j in the block the second grows up to
// exp(spread), spread = max over the block's rows and channels of Γ_ref − Γ_j. A block grows
// while that spread stays within safe_spread (no overflow, the factors far from the type's
// range; a block of one row has spread ≤ max |g|), so the products are as accurate as one exp
// per (i, j, d) term. (A chunk within safe_spread is one block; chunk_step does that case
// itself, sharing the factors with the state read.)
template <class S>
void blockwise_pair_products(Eigen::Index c, ChunkBuffers<S>& x) {
  const Eigen::Index K = x.qk.cols();
  const auto k = x.qk.bottomRows(c);
  x.products.setZero(2 * c, c);
  for (Eigen::Index r = 0; r < c;) {
    const auto reference = [&](Eigen::Index d) { return r == 0 ? S(0) : x.gamma(r - 1, d); };
    Eigen::Index n = rows_within_safe_spread(x.gamma, r);
    // A row whose own gate exceeds safe_spread is a block alone: its pairs with earlier rows
    // through the product (both factors ≤ 1), its diagonal pair (ratio 1) directly.
    const bool alone = n == 0;
    if (alone) n = 1;
    const Eigen::Index seen = alone ? r : r + n;  // columns j done by the product
    if (seen > 0) {
      x.to_block.resize(n, K);
      x.from_block.resize(seen, K);
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index d = 0; d < K; ++d) x.to_block(i, d) = x.gamma(r + i, d) - reference(d);
      for (Eigen::Index j = 0; j < seen; ++j)
        for (Eigen::Index d = 0; d < K; ++d) x.from_block(j, d) = reference(d) - x.gamma(j, d);
      exp_in_place(x.to_block.data(), x.to_block.size());
      exp_in_place(x.from_block.data(), x.from_block.size());
      x.shrink.resize(2 * n, K);  // the block's q̂ rows, then its k̂ rows, × exp(Γ_i − Γ_ref)
      x.shrink.topRows(n) = (x.qk.middleRows(r, n).array() * x.to_block.array()).matrix();
      x.shrink.bottomRows(n) = (k.middleRows(r, n).array() * x.to_block.array()).matrix();
      x.from_block.array() *= k.topRows(seen).array();  // k̂_j exp(Γ_ref − Γ_j)
      x.block_products.resize(2 * n, seen);
      x.block_products.noalias() = x.shrink * x.from_block.transpose();
      x.products.block(r, 0, n, seen) = x.block_products.topRows(n);
      x.products.block(c + r, 0, n, seen) = x.block_products.bottomRows(n);
    }
    if (alone) x.products(r, r) = x.qk.row(r).dot(k.row(r));
    r += n;
  }
}

// Per-channel gate: keeps qk's lower triangle (j ≤ i, zero above: it enters a full product) and
// scales kk's strict lower triangle by β_i (the unit-lower solve reads nothing else).
template <class S>
void per_channel_scores(Eigen::Index c, ChunkBuffers<S>& x) {
  for (Eigen::Index i = 0; i < c; ++i) {
    S* qk = &x.products(i, 0);
    S* kk = &x.products(c + i, 0);
    const S beta = x.beta(i);
    for (Eigen::Index j = 0; j < i; ++j) kk[j] *= beta;
    for (Eigen::Index j = i + 1; j < c; ++j) qk[j] = 0;
  }
}

// The elementwise passes of a per-channel chunk, on row-major [c, K] arrays, written as plain
// loops so that they run at AVX2 width where the CPU has it (see per_channel_factors).
template <class S>
struct FactorRows {
  const S* g;
  S *growth, *low, *high;  // low/high: [K], the least and greatest Γ per channel
  const S *q, *k;
  S *decayed_q, *decayed_k, *from_block, *k_to_end;
  std::int64_t c, K;
};

// Γ (into growth, which the exps then turn into e^Γ), its range per channel. The pointers are
// restrict-qualified (the rows, the gates and the range do not overlap): without that the
// compiler must assume that storing Γ may change low and high, and the loop runs one channel
// at a time.
template <class S>
[[gnu::always_inline]] inline void cumulative_gates(const FactorRows<S>& a) {
  S* __restrict low = a.low;
  S* __restrict high = a.high;
  for (std::int64_t d = 0; d < a.K; ++d) a.growth[d] = low[d] = high[d] = a.g[d];
  for (std::int64_t i = 1; i < a.c; ++i) {
    const S* __restrict previous = a.growth + (i - 1) * a.K;
    S* __restrict gamma = a.growth + i * a.K;
    const S* __restrict g = a.g + i * a.K;
    for (std::int64_t d = 0; d < a.K; ++d) {
      const S sum = previous[d] + g[d];
      gamma[d] = sum;
      low[d] = std::min(low[d], sum);
      high[d] = std::max(high[d], sum);
    }
  }
}

// From e^Γ (growth): e^Γ ⊙ q̂ and e^Γ ⊙ k̂, and for one block (reference 0) the pair products'
// right factor e^−Γ ⊙ k̂ and the state update's exp(Γ_C − Γ) ⊙ k̂ = e^{Γ_C}·(e^{−Γ} ⊙ k̂), with
// e^−Γ as 1 / e^Γ (e^Γ ≥ e^−safe_spread, far from underflow).
template <class S>
[[gnu::always_inline]] inline void decay_factors(const FactorRows<S>& a, bool one_block) {
  const S* last = a.growth + (a.c - 1) * a.K;
  for (std::int64_t i = 0; i < a.c * a.K; i += a.K) {
    const S* e = a.growth + i;
    for (std::int64_t d = 0; d < a.K; ++d) {
      a.decayed_q[i + d] = a.q[i + d] * e[d];
      a.decayed_k[i + d] = a.k[i + d] * e[d];
    }
    if (!one_block) continue;
    for (std::int64_t d = 0; d < a.K; ++d) {
      const S from_block = a.k[i + d] * (S(1) / e[d]);
      a.from_block[i + d] = from_block;
      a.k_to_end[i + d] = last[d] * from_block;
    }
  }
}

// The state's decay Diag(e^{Γ_C}) S₀: row d of the state [K, V] times decay[d], in place.
template <class S>
[[gnu::always_inline]] inline void decay_state_rows(S* state, const S* decay, std::int64_t K,
                                                    std::int64_t V) {
  for (std::int64_t d = 0; d < K; ++d, state += V) {
    const S factor = decay[d];  // read once: the stores below might alias it, as far as known
    for (std::int64_t e = 0; e < V; ++e) state[e] *= factor;
  }
}

// The same loops at AVX2 width where the CPU has it (chosen at run time; the binary needs no
// -march). Without FMA each product, sum and quotient rounds as in the SSE2 loops: the same
// bits on any machine.
#if defined(ATTNSIM_AVX2_LOOPS)
template <class S>
__attribute__((target("avx2"))) void cumulative_gates_avx2(const FactorRows<S>& a) {
  cumulative_gates(a);
}
template <class S>
__attribute__((target("avx2"))) void decay_factors_avx2(const FactorRows<S>& a, bool one_block) {
  decay_factors(a, one_block);
}
template <class S>
__attribute__((target("avx2"))) void decay_state_rows_avx2(S* state, const S* decay, std::int64_t K,
                                                           std::int64_t V) {
  decay_state_rows(state, decay, K, V);
}
#endif

template <class S>
void decay_state(Mat<S>& state, const S* decay) {
#if defined(ATTNSIM_AVX2_LOOPS)
  if (cpu_has_avx2()) return decay_state_rows_avx2(state.data(), decay, state.rows(), state.cols());
#endif
  decay_state_rows(state.data(), decay, state.rows(), state.cols());
}

// Per-channel gate: Γ, e^Γ, [e^Γ ⊙ Q̂; e^Γ ⊙ K̂] into x.decayed, and whether the chunk is one
// block: its −Γ within safe_spread (gates ≤ 0), reference Γ = 0, so that its pair products are
// (e^Γ ⊙ [Q̂; K̂]) (e^−Γ ⊙ K̂)ᵀ with e^Γ ≤ 1 and e^−Γ ≤ e^safe_spread; then also x.from_block
// (e^−Γ ⊙ K̂) and x.k_to_end (exp(Γ_C − Γ) ⊙ K̂); else x.gamma (Γ, for the blockwise products
// and the state update's exps). Two passes over the chunk's rows and one exp.
template <class S>
bool per_channel_factors(Eigen::Index c, ChunkBuffers<S>& x) {
  const Eigen::Index K = x.qk.cols();
  x.growth.resize(c, K);
  x.from_block.resize(c, K);
  x.k_to_end.resize(c, K);
  x.range.resize(2, K);
  const FactorRows<S> rows{x.g.data(),
                           x.growth.data(),
                           &x.range(0, 0),
                           &x.range(1, 0),
                           x.qk.data(),
                           x.qk.data() + c * K,
                           x.decayed.data(),
                           x.decayed.data() + c * K,
                           x.from_block.data(),
                           x.k_to_end.data(),
                           c,
                           K};
#if defined(ATTNSIM_AVX2_LOOPS)
  if (cpu_has_avx2())
    cumulative_gates_avx2(rows);
  else
#endif
    cumulative_gates(rows);
  const bool one_block = -x.range.row(0).minCoeff() <= safe_spread<S>() &&
                         x.range.row(1).maxCoeff() <= safe_spread<S>();
  if (!one_block) x.gamma = x.growth;
  exp_in_place(x.growth.data(), x.growth.size());
#if defined(ATTNSIM_AVX2_LOOPS)
  if (cpu_has_avx2())
    decay_factors_avx2(rows, one_block);
  else
#endif
    decay_factors(rows, one_block);
  return one_block;
}

// Rows of x [c, K] scaled by per-row factors f [c, Kg] (one per channel, or broadcast when
// Kg = 1), into out.
template <class Rows, class F, class Out>
void scale_rows(const Rows& x, const F& f, Out&& out) {
  if (f.cols() == 1)
    out = f.col(0).asDiagonal() * x;
  else
    out = (x.array() * f.array()).matrix();
}

// The pair products of a chunk of c rows, left [2c, K] (its q̂ rows over its k̂ rows) times
// rightᵀ ([c, K], one row per key), into products [2c, c]. Row i of either half reads columns
// j ≤ i only, so the upper right quarter of each half (rows before c/2, columns from c/2 on)
// is skipped: all rows against the first c/2 keys, then each half's last rows against the last
// keys; three BLAS calls doing 3/4 of the full product's multiply-adds. (The skipped entries
// are never read: qk's upper triangle is zeroed after, kk's is not read.)
template <class S, class Left, class Right>
void lower_pair_products(Eigen::Index c, const Left& left, const Right& right, Mat<S>& products) {
  const Eigen::Index h = c / 2, rest = c - h;
  products.leftCols(h).noalias() = left * right.topRows(h).transpose();
  for (const Eigen::Index half : {Eigen::Index(0), c})
    products.block(half + h, h, rest, rest).noalias() =
        left.middleRows(half + h, rest) * right.bottomRows(rest).transpose();
}

// mixers-spec §5 chunked form for the chunk loaded in x (c rows); updates `state` from S₀ to
// S_C and leaves O [c, V] in x.read.topRows(c).
template <class S>
void chunk_step(Eigen::Index c, ChunkBuffers<S>& x, Mat<S>& state, OpCounts& counts) {
  const Eigen::Index K = x.qk.cols(), V = x.v.cols();
  const bool scalar = x.g.cols() == 1;
  const auto q = x.qk.topRows(c);
  const auto k = x.qk.bottomRows(c);
  // Γ_i = Σ_{t ≤ i} g_t within the chunk, e^Γ, and [e^Γ ⊙ Q̂; e^Γ ⊙ K̂]: the state read's left
  // factor, and the per-channel pair products'.
  x.decayed.resize(2 * c, K);
  x.products.resize(2 * c, c);
  bool one_block = false;
  if (scalar) {
    x.gamma = x.g;
    for (Eigen::Index i = 1; i < c; ++i) x.gamma(i, 0) += x.gamma(i - 1, 0);
    x.growth = x.gamma;
    exp_in_place(x.growth.data(), x.growth.size());
    scale_rows(q, x.growth, x.decayed.topRows(c));
    scale_rows(k, x.growth, x.decayed.bottomRows(c));
    // BLAS products over the lower quarters, which outrun Eigen's own triangular products.
    lower_pair_products<S>(c, x.qk, k, x.products);
    scalar_gate_scores(c, x);
  } else {
    one_block = per_channel_factors(c, x);
    if (one_block)
      lower_pair_products<S>(c, x.decayed, x.from_block, x.products);
    else
      blockwise_pair_products(c, x);
    per_channel_scores(c, x);
  }
  // (e^Γ ⊙ Q̂) S₀ over (e^Γ ⊙ K̂) S₀ as one [2c, K]·[K, V] product (one larger GEMM runs faster
  // than two half-size ones).
  x.read.noalias() = x.decayed * state;
  // (I + diag(β) kk) U = diag(β) (V − (e^Γ ⊙ K̂) S₀): unit-lower-triangular solve.
  x.u = x.beta.asDiagonal() * (x.v - x.read.bottomRows(c));
  x.products.bottomRows(c).template triangularView<Eigen::UnitLower>().solveInPlace(x.u);
  // O = (e^Γ ⊙ Q̂) S₀ + tril(qk) U, in place of the q̂ rows' read (qk is 0 above the diagonal):
  // the first c/2 rows against U's first c/2 rows, the others against all of U.
  const Eigen::Index h = c / 2;
  x.read.topRows(h).noalias() += x.products.topLeftCorner(h, h) * x.u.topRows(h);
  x.read.middleRows(h, c - h).noalias() += x.products.middleRows(h, c - h) * x.u;
  // S_C = Diag(e^{Γ_C}) S₀ + Σ_j (exp(Γ_C − Γ_j) ⊙ k̂_j) u_jᵀ. In one block exp(Γ_C − Γ_j) =
  // e^{Γ_C}·e^{−Γ_j}, both factors within e^±safe_spread.
  if (!one_block) {  // (one block: per_channel_factors made exp(Γ_C − Γ) ⊙ K̂)
    x.to_end = (-x.gamma).rowwise() + x.gamma.row(c - 1);
    exp_in_place(x.to_end.data(), x.to_end.size());
    scale_rows(k, x.to_end, x.k_to_end);
  }
  if (scalar)
    state *= x.growth(c - 1, 0);
  else
    decay_state(state, &x.growth(c - 1, 0));
  state.noalias() += x.k_to_end.transpose() * x.u;
  counts.add("qk_scores", c * (c + 1) / 2 * K);
  counts.add("kk_scores", c * (c - 1) / 2 * K);
  counts.add("state_read", 2 * c * K * V);
  counts.add("solve", c * (c - 1) / 2 * V);
  counts.add("intra_output", c * (c + 1) / 2 * V);
  counts.add("state_update", c * K * V);
}

// Head h of a [B, T, heads, dim] tensor for sequence b, viewed in place as a [T, dim] matrix
// (rows heads·dim apart), so that a head is gathered and converted in one copy.
using StridedRows = Eigen::Map<const Mat<double>, 0, Eigen::OuterStride<>>;
StridedRows head_in_place(const Tensor& x, std::int64_t b, std::int64_t h) {
  const HeadView<double> head = head_view(x, b, h);
  return StridedRows(head.first, head.rows, head.cols, Eigen::OuterStride<>(head.stride));
}

template <class S>
Head<S> gather_value_head(const DeltaRuleInputs& in, const DeltaRuleOptions& options,
                          std::int64_t b, std::int64_t j, std::int64_t group, GateKind gate) {
  const std::int64_t T = in.q.dim(1), K = in.q.dim(3), HV = in.v.dim(2);
  const std::int64_t V = in.v.dim(3);
  Head<S> x;
  if (in.conv != nullptr) {  // q, k, v through the conv, straight into the head's matrices
    x.q.resize(T, K);
    x.k.resize(T, K);
    x.v.resize(T, V);
    in.conv->rows<S>(0, b, j / group * K, K, 0, T, x.q.data(), K);
    in.conv->rows<S>(1, b, j / group * K, K, 0, T, x.k.data(), K);
    in.conv->rows<S>(2, b, j * V, V, 0, T, x.v.data(), V);
  } else {
    x.q = head_in_place(in.q, b, j / group).cast<S>();  // GVA: q/k head j // (HV/H)
    x.k = head_in_place(in.k, b, j / group).cast<S>();
    x.v = head_in_place(in.v, b, j).cast<S>();
  }
  normalize_qk(x.q, x.k, options);
  x.g.resize(T, gate == GateKind::scalar ? 1 : K);
  x.beta.resize(T);
  for (std::int64_t t = 0; t < T; ++t) {
    x.beta(t) = static_cast<S>(in.beta[static_cast<std::size_t>((b * T + t) * HV + j)]);
    for (Eigen::Index d = 0; d < x.g.cols(); ++d) {
      x.g(t, d) =
          static_cast<S>(in.g[static_cast<std::size_t>(((b * T + t) * HV + j) * x.g.cols() + d)]);
    }
  }
  return x;
}

// Tokens [t0, t0 + c) of value head j of sequence b into x: q̂ and k̂ as gather_value_head
// makes them (the same operations on the same values), v, g and β.
template <class S>
void load_chunk(const DeltaRuleInputs& in, const DeltaRuleOptions& options, std::int64_t b,
                std::int64_t j, std::int64_t group, std::int64_t t0, std::int64_t c,
                ChunkBuffers<S>& x) {
  const std::int64_t T = in.q.dim(1), K = in.q.dim(3), HV = in.v.dim(2), V = in.v.dim(3);
  const std::int64_t Kg = x.g.cols();
  x.qk.resize(2 * c, K);
  x.v.resize(c, V);
  if (in.conv != nullptr) {  // one pass from the conv's inputs to the buffers, in S
    in.conv->rows<S>(0, b, j / group * K, K, t0, c, x.qk.data(), K);
    in.conv->rows<S>(1, b, j / group * K, K, t0, c, x.qk.data() + c * K, K);
    in.conv->rows<S>(2, b, j * V, V, t0, c, x.v.data(), V);
  } else {
    x.qk.topRows(c) = head_in_place(in.q, b, j / group).middleRows(t0, c).cast<S>();
    x.qk.bottomRows(c) = head_in_place(in.k, b, j / group).middleRows(t0, c).cast<S>();
    x.v = head_in_place(in.v, b, j).middleRows(t0, c).cast<S>();
  }
  normalize_qk(x.qk.topRows(c), x.qk.bottomRows(c), options);
  x.g.resize(c, Kg);
  x.beta.resize(c);
  for (std::int64_t i = 0; i < c; ++i)
    x.beta(i) = static_cast<S>(in.beta[static_cast<std::size_t>((b * T + t0 + i) * HV + j)]);
  if (Kg == 1) {
    for (std::int64_t i = 0; i < c; ++i)
      x.g(i, 0) = static_cast<S>(in.g[static_cast<std::size_t>((b * T + t0 + i) * HV + j)]);
  } else {  // [B, T, HV, K]: the head's rows in place, as q, k and v
    x.g = head_in_place(in.g, b, j).middleRows(t0, c).cast<S>();
  }
}

// Asks for the next chunk's q, k, v (and KDA's g) rows ahead of their use (the output rows are
// streamed, see store_rows):
// they are 1 KiB runs far apart in [B, T, H, D], which the hardware prefetchers do not follow,
// so without this the loads wait on memory a row at a time while the chunk's products could
// have covered them (GDN at T = 4096: 12% of the kernel's time).
inline void prefetch_rows(const DeltaRuleInputs& in, std::int64_t b, std::int64_t j,
                          std::int64_t group, std::int64_t t0, std::int64_t c) {
  const auto source = [&](std::size_t part, const Tensor& x) {  // what the loads read
    return in.conv != nullptr ? &in.conv->part(part) : &x;
  };
  // KDA's per-channel gates are [B, T, HV, K] too (a scalar gate's few bytes a token are not).
  const Tensor* gates = in.g.rank() == 4 ? &in.g : nullptr;
  for (const auto& [x, h] : {std::pair{source(0, in.q), j / group},
                             {source(1, in.k), j / group},
                             {source(2, in.v), j},
                             {gates, j}}) {
    if (x == nullptr) continue;
    const std::int64_t T = x->dim(1), heads = x->dim(2), dim = x->dim(3);
    for (std::int64_t t = t0; t < t0 + c; ++t) {
      const double* row = x->data.data() + ((b * T + t) * heads + h) * dim;
      for (std::int64_t d = 0; d < dim; d += 8) __builtin_prefetch(row + d);
    }
  }
}

// Rows [rows, cols] of a chunk's output into o (rows `stride` apart), as double. Where a row is
// 16-byte aligned its pairs of values are streaming stores: the output is written once and not
// read back by the kernel, and an ordinary store would first read each 64-byte line of it from
// memory (64 MiB at T = 4096, 16 heads of 128), which the loads of the next chunk wait behind.
template <class S>
void store_rows(const S* x, std::int64_t rows, std::int64_t cols, double* o, std::int64_t stride) {
  for (std::int64_t r = 0; r < rows; ++r, x += cols, o += stride) {
    std::int64_t d = 0;
#if defined(__SSE2__)
    if (reinterpret_cast<std::uintptr_t>(o) % 16 == 0)
      for (; d + 2 <= cols; d += 2)
        _mm_stream_pd(o + d, _mm_set_pd(static_cast<double>(x[d + 1]), static_cast<double>(x[d])));
#endif
    for (; d < cols; ++d) o[d] = static_cast<double>(x[d]);
  }
}

// The chunked form of value heads [j0, j0 + states.size()) of sequence b side by side: each
// chunk of every head in turn (for_each_chunk_of_heads), so that the next head's rows, adjacent
// to these in [B, T, HV, D], are prefetched while this head's products run. Head j0 + i carries
// states[i]; each chunk's O goes straight into out (the head's rows of the [B, T, HV, V] output).
// A head's arithmetic does not depend on its neighbours.
template <class S>
void chunked(const DeltaRuleInputs& in, const DeltaRuleOptions& options, std::int64_t b,
             std::int64_t j0, GateKind gate, std::vector<Mat<S>>& states, Tensor& out,
             OpCounts& counts) {
  const std::int64_t T = in.q.dim(1), H = in.q.dim(2), HV = in.v.dim(2), V = in.v.dim(3);
  ChunkBuffers<S> x;
  x.g.resize(0, gate == GateKind::scalar ? 1 : in.q.dim(3));
  for_each_chunk_of_heads(
      states.size(), T, options.chunk_size,
      [&](std::size_t i, std::int64_t t0, std::int64_t c, const NextChunk& next) {
        const std::int64_t j = j0 + static_cast<std::int64_t>(i);
        load_chunk(in, options, b, j, HV / H, t0, c, x);
        prefetch_rows(in, b, j0 + static_cast<std::int64_t>(next.head), HV / H, next.t0, next.c);
        chunk_step(c, x, states[i], counts);
        store_rows(x.read.data(), c, V, out.data.data() + ((b * T + t0) * HV + j) * V, HV * V);
      });
#if defined(__SSE2__)
  _mm_sfence();  // the streaming stores are done before the task's end is seen
#endif
}

void validate(const DeltaRuleInputs& in, const DeltaRuleOptions& options, GateKind gate) {
  require_rank(in.q.shape, 4, "q", "[B, T, H, K]");
  require_rank(in.v.shape, 4, "v", "[B, T, HV, V]");
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1), H = in.q.dim(2), K = in.q.dim(3);
  const std::int64_t HV = in.v.dim(2), V = in.v.dim(3);
  require_shape(in.k.shape, {B, T, H, K}, "k", "B,T,H,K");
  require_shape(in.v.shape, {B, T, HV, V}, "v", "B,T,HV,V");
  require_shape(in.beta.shape, {B, T, HV}, "beta", "B,T,HV");
  if (gate == GateKind::scalar) require_shape(in.g.shape, {B, T, HV}, "g", "B,T,HV");
  if (gate == GateKind::per_channel) require_shape(in.g.shape, {B, T, HV, K}, "g", "B,T,HV,K");
  if (!in.initial_state.empty()) {
    require_shape(in.initial_state.shape, {B, HV, K, V}, "initial_state", "B,HV,K,V");
  }
  if (H < 1 || HV % H != 0) {
    throw UserError(SourceLocation{}, "HV", "a multiple of H = " + std::to_string(H),
                    std::to_string(HV));
  }
  if (options.chunk_size < 1) {
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  }
}

template <class S>
DeltaRuleResult run_typed(const DeltaRuleInputs& in, const DeltaRuleOptions& options,
                          GateKind gate) {
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1), H = in.q.dim(2), K = in.q.dim(3);
  const std::int64_t HV = in.v.dim(2), V = in.v.dim(3);
  DeltaRuleResult result;
  result.o = Tensor({B, T, HV, V});
  result.final_state = in.initial_state.empty() ? Tensor({B, HV, K, V}) : in.initial_state;
  const auto state_of = [&](std::int64_t b, std::int64_t j) {
    return to_eigen(gather_matrix<S>(result.final_state, b * HV + j, K, V));
  };
  const auto keep_state = [&](const Mat<S>& state, std::int64_t b, std::int64_t j) {
    Map<double>(result.final_state.data.data() + (b * HV + j) * K * V, K, V) =
        state.template cast<double>();
  };
  if (options.form == DeltaRuleForm::recurrent) {
    parallel_for_counted(B * HV, result.counts, [&](std::int64_t task, OpCounts& counts) {
      const std::int64_t b = task / HV, j = task % HV;  // one (sequence, value head) per task
      Mat<S> state = state_of(b, j);
      const Mat<S> o =
          recurrent(gather_value_head<S>(in, options, b, j, HV / H, gate), state, counts);
      Eigen::Map<Mat<double>, 0, Eigen::OuterStride<>>(result.o.data.data() + (b * T * HV + j) * V,
                                                       T, V, Eigen::OuterStride<>(HV * V)) =
          o.template cast<double>();
      keep_state(state, b, j);
    });
  } else {
    for_each_head_block(B, HV, result.counts,
                        [&](std::int64_t b, std::int64_t j0, std::int64_t j1, OpCounts& counts) {
                          std::vector<Mat<S>> states;
                          for (std::int64_t j = j0; j < j1; ++j) states.push_back(state_of(b, j));
                          chunked<S>(in, options, b, j0, gate, states, result.o, counts);
                          for (std::int64_t j = j0; j < j1; ++j)
                            keep_state(states[static_cast<std::size_t>(j - j0)], b, j);
                        });
  }
  result.state_elements = B * HV * K * V;
  return result;
}

}  // namespace

DeltaRuleResult run_delta_rule(const DeltaRuleInputs& inputs, const DeltaRuleOptions& options,
                               GateKind gate) {
  validate(inputs, options, gate);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, gate)
                                                 : run_typed<double>(inputs, options, gate);
}

FlopCounts delta_rule_flops_recurrent(std::int64_t K, std::int64_t V, std::int64_t T) {
  FlopCounts flops;
  const double per_category = static_cast<double>(T) * static_cast<double>(K * V);
  add_macs(flops, "prediction", per_category);
  add_macs(flops, "state_update", per_category);
  add_macs(flops, "readout", per_category);
  return flops;
}

FlopCounts delta_rule_flops_chunked(std::int64_t K, std::int64_t V, std::int64_t T,
                                    std::int64_t C) {
  // T = n·C + r: n full chunks and one chunk of r tokens.
  const auto add_chunks = [&](FlopCounts& flops, double count, double c) {
    const double lower = c * (c + 1) / 2, strict = c * (c - 1) / 2;
    add_macs(flops, "qk_scores", count * lower * K);
    add_macs(flops, "kk_scores", count * strict * K);
    add_macs(flops, "state_read", count * 2 * c * K * V);
    add_macs(flops, "solve", count * strict * V);
    add_macs(flops, "intra_output", count * lower * V);
    add_macs(flops, "state_update", count * c * K * V);
  };
  FlopCounts flops;
  add_chunks(flops, static_cast<double>(T / C), static_cast<double>(C));
  add_chunks(flops, 1.0, static_cast<double>(T % C));
  return flops;
}

}  // namespace attnsim::mixers
