// Gated delta rule (mixers-spec §5, §6). Per value head j, with q/k head j // (HV/H):
//   S' = Diag(exp g_t) S,  u_t = β_t (v_t − S'ᵀ k̂_t),  S_t = S' + k̂_t u_tᵀ,  o_t = S_tᵀ q̂_t.
#include "mixers/common/delta_rule.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/error.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"
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

// mixers-spec §5: x / sqrt(Σ x² + ε) (ε = 1e-6 upstream), per row.
template <class Rows>
void l2_normalize_rows(Rows&& x, double eps) {
  using S = typename std::decay_t<Rows>::Scalar;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    x.row(r) /= std::sqrt(x.row(r).squaredNorm() + static_cast<S>(eps));
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
// [c, K], so that the pair products of both are one GEMM.
template <class S>
struct ChunkBuffers {
  Mat<S> qk, v, g, gamma;  // [2c, K], [c, V], [c, Kg], Γ [c, Kg]
  Vec<S> beta;
  Mat<S> products, qk_scores, kk_scores, decay;  // [2c, c], [c, c] ×3
  Mat<S> decayed, read, u, out;                  // [2c, K], [2c, V], [c, V], [c, V]
  Mat<S> to_block, from_block, to_end;           // per-channel factors, [·, K]
};

// decay(i, j) = exp(Γ_i − Γ_j) for j ≤ i, 0 above, for a scalar gate's chunk-local Γ [c, 1]:
// one exp pass over the whole matrix.
template <class S>
void lower_decay_ratios(const Mat<S>& gamma, Mat<S>& decay) {
  const Eigen::Index c = gamma.rows();
  decay.resize(c, c);
  for (Eigen::Index i = 0; i < c; ++i)
    for (Eigen::Index j = 0; j < c; ++j) decay(i, j) = j <= i ? gamma(i, 0) - gamma(j, 0) : S(0);
  exp_in_place(decay.data(), decay.size());
  for (Eigen::Index i = 0; i < c; ++i) decay.row(i).tail(c - i - 1).setZero();
}

// Pairwise decayed products within a chunk (Γ = chunk-local cumulative gates [c, Kg]):
//   qk(i, j) = Σ_d q̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j ≤ i
//   kk(i, j) = Σ_d k̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j < i
template <class S>
void decayed_pair_products(Eigen::Index c, ChunkBuffers<S>& x) {
  const Eigen::Index K = x.qk.cols();
  const auto k = x.qk.bottomRows(c);
  Mat<S>& qk = x.qk_scores;
  Mat<S>& kk = x.kk_scores;
  if (x.gamma.cols() == 1) {  // scalar gate: [q̂; k̂] k̂ᵀ as one full product, then the ratios
    // (the full product does the upper triangle too, but in one BLAS call, which outruns
    // Eigen's own triangular product several times over)
    x.products.noalias() = x.qk * k.transpose();
    lower_decay_ratios(x.gamma, x.decay);  // 0 above the diagonal
    qk = (x.products.topRows(c).array() * x.decay.array()).matrix();
    x.decay.diagonal().setZero();  // kk: j < i only
    kk = (x.products.bottomRows(c).array() * x.decay.array()).matrix();
    return;
  }
  // Per-channel gate, in blocks of rows [r, r + n) against a reference Γ_ref = Γ_{r−1} (0 for
  // the first block). For rows i of the block and any j ≤ i,
  //   exp(Γ_i − Γ_j) = exp(Γ_i − Γ_ref)·exp(Γ_ref − Γ_j),
  // so one product of rescaled rows gives all the block's pairs. With gates ≤ 0 the first factor
  // is ≤ 1 and so is the second for j < r; for j in the block the second grows up to
  // exp(spread), spread = max over the block's rows and channels of Γ_ref − Γ_j. A block grows
  // while that spread stays within safe_spread (no overflow, the factors far from the type's
  // range; a block of one row has spread ≤ max |g|), so the products are as accurate as one exp
  // per (i, j, d) term, and with mild gates a whole chunk is one block: one GEMM.
  const S safe_spread = std::is_same_v<S, float> ? S(20) : S(200);
  qk.setZero(c, c);
  kk.setZero(c, c);
  for (Eigen::Index r = 0; r < c;) {
    const auto reference = [&](Eigen::Index d) { return r == 0 ? S(0) : x.gamma(r - 1, d); };
    Eigen::Index n = 0;  // rows r … r + n − 1 within safe_spread
    for (; r + n < c; ++n) {
      S spread = 0;
      for (Eigen::Index d = 0; d < K; ++d)
        spread = std::max(spread, reference(d) - x.gamma(r + n, d));
      if (spread > safe_spread) break;
    }
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
      x.decayed.resize(2 * n, K);  // the block's q̂ rows, then its k̂ rows, × exp(Γ_i − Γ_ref)
      x.decayed.topRows(n) = (x.qk.middleRows(r, n).array() * x.to_block.array()).matrix();
      x.decayed.bottomRows(n) = (k.middleRows(r, n).array() * x.to_block.array()).matrix();
      x.from_block.array() *= k.topRows(seen).array();  // k̂_j exp(Γ_ref − Γ_j)
      x.products.resize(2 * n, seen);
      x.products.noalias() = x.decayed * x.from_block.transpose();
      qk.block(r, 0, n, seen) = x.products.topRows(n);
      kk.block(r, 0, n, seen) = x.products.bottomRows(n);
    }
    if (alone) qk(r, r) = x.qk.row(r).dot(k.row(r));
    r += n;
  }
  // Keep the lower triangle: j ≤ i for qk, j < i for kk.
  for (Eigen::Index i = 0; i < c; ++i) {
    kk(i, i) = 0;
    for (Eigen::Index j = i + 1; j < c; ++j) qk(i, j) = kk(i, j) = 0;
  }
}

// Rows of x [c, K] scaled by per-row factors f [c, Kg] (one per channel, or broadcast when
// Kg = 1), into out.
template <class S, class Rows, class Out>
void scale_rows(const Rows& x, const Mat<S>& f, Out&& out) {
  if (f.cols() == 1)
    out = f.col(0).asDiagonal() * x;
  else
    out = (x.array() * f.array()).matrix();
}

// mixers-spec §5 chunked form for the chunk loaded in x (c rows); updates `state` from S₀ to
// S_C and leaves O [c, V] in x.out.
template <class S>
void chunk_step(Eigen::Index c, ChunkBuffers<S>& x, Mat<S>& state, OpCounts& counts) {
  const Eigen::Index K = x.qk.cols(), V = x.v.cols();
  const auto q = x.qk.topRows(c);
  const auto k = x.qk.bottomRows(c);
  x.gamma = x.g;  // Γ_i = Σ_{t ≤ i} g_t within the chunk
  for (Eigen::Index i = 1; i < c; ++i) x.gamma.row(i) += x.gamma.row(i - 1);
  decayed_pair_products(c, x);
  // (e^Γ ⊙ K̂) S₀ and (e^Γ ⊙ Q̂) S₀ as one [2c, K]·[K, V] product (one larger GEMM runs
  // faster than two half-size ones).
  x.to_end = x.gamma;  // e^Γ for now, shared by k̂ and q̂
  exp_in_place(x.to_end.data(), x.to_end.size());
  x.decayed.resize(2 * c, K);
  scale_rows<S>(k, x.to_end, x.decayed.topRows(c));
  scale_rows<S>(q, x.to_end, x.decayed.bottomRows(c));
  x.read.noalias() = x.decayed * state;
  // (I + diag(β) kk) U = diag(β) (V − (e^Γ ⊙ K̂) S₀): unit-lower-triangular solve.
  x.kk_scores = x.beta.asDiagonal() * x.kk_scores;
  x.u = x.beta.asDiagonal() * (x.v - x.read.topRows(c));
  x.kk_scores.template triangularView<Eigen::UnitLower>().solveInPlace(x.u);
  // O = (e^Γ ⊙ Q̂) S₀ + tril(qk) U
  x.out = x.read.bottomRows(c);
  x.out.noalias() += x.qk_scores * x.u;  // qk is 0 above the diagonal
  // S_C = Diag(e^{Γ_C}) S₀ + Σ_j (exp(Γ_C − Γ_j) ⊙ k̂_j) u_jᵀ
  x.to_end = (-x.gamma).rowwise() + x.gamma.row(c - 1);
  exp_in_place(x.to_end.data(), x.to_end.size());
  state = channel_decay<S>(x.gamma.row(c - 1), K).asDiagonal() * state;
  scale_rows<S>(k, x.to_end, x.decayed.topRows(c));
  state.noalias() += x.decayed.topRows(c).transpose() * x.u;
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
StridedRows head_rows(const Tensor& x, std::int64_t b, std::int64_t h) {
  const std::int64_t T = x.dim(1), heads = x.dim(2), dim = x.dim(3);
  return StridedRows(x.data.data() + (b * T * heads + h) * dim, T, dim,
                     Eigen::OuterStride<>(heads * dim));
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
    x.q = head_rows(in.q, b, j / group).cast<S>();  // GVA: q/k head j // (HV/H)
    x.k = head_rows(in.k, b, j / group).cast<S>();
    x.v = head_rows(in.v, b, j).cast<S>();
  }
  if (options.use_qk_l2norm) {
    l2_normalize_rows(x.q, options.l2norm_eps);
    l2_normalize_rows(x.k, options.l2norm_eps);
  }
  x.q *= static_cast<S>(options.scale.value_or(1.0 / std::sqrt(static_cast<double>(K))));
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
    x.qk.topRows(c) = head_rows(in.q, b, j / group).middleRows(t0, c).cast<S>();
    x.qk.bottomRows(c) = head_rows(in.k, b, j / group).middleRows(t0, c).cast<S>();
    x.v = head_rows(in.v, b, j).middleRows(t0, c).cast<S>();
  }
  if (options.use_qk_l2norm) l2_normalize_rows(x.qk, options.l2norm_eps);
  x.qk.topRows(c) *=
      static_cast<S>(options.scale.value_or(1.0 / std::sqrt(static_cast<double>(K))));
  x.g.resize(c, Kg);
  x.beta.resize(c);
  for (std::int64_t i = 0; i < c; ++i) {
    const auto row = static_cast<std::size_t>((b * T + t0 + i) * HV + j);
    x.beta(i) = static_cast<S>(in.beta[row]);
    for (Eigen::Index d = 0; d < Kg; ++d)
      x.g(i, d) =
          static_cast<S>(in.g[row * static_cast<std::size_t>(Kg) + static_cast<std::size_t>(d)]);
  }
}

// Asks for the next chunk's q, k, v (and KDA's g) rows and its rows of the output o ahead of
// their use:
// they are 1 KiB runs far apart in [B, T, H, D], which the hardware prefetchers do not follow,
// so without this the loads wait on memory a row at a time while the chunk's products could
// have covered them (GDN at T = 4096: 12% of the kernel's time).
inline void prefetch_rows(const DeltaRuleInputs& in, const Tensor& o, std::int64_t b,
                          std::int64_t j, std::int64_t group, std::int64_t t0, std::int64_t c) {
  const auto source = [&](std::size_t part, const Tensor& x) {  // what the loads read
    return in.conv != nullptr ? &in.conv->part(part) : &x;
  };
  // KDA's per-channel gates are [B, T, HV, K] too (a scalar gate's few bytes a token are not).
  const Tensor* gates = in.g.rank() == 4 ? &in.g : nullptr;
  for (const auto& [x, h] : {std::pair{source(0, in.q), j / group},
                             {source(1, in.k), j / group},
                             {source(2, in.v), j},
                             {gates, j},
                             {&o, j}}) {
    if (x == nullptr) continue;
    const std::int64_t T = x->dim(1), heads = x->dim(2), dim = x->dim(3);
    for (std::int64_t t = t0; t < t0 + c; ++t) {
      const double* row = x->data.data() + ((b * T + t) * heads + h) * dim;
      for (std::int64_t d = 0; d < dim; d += 8) __builtin_prefetch(row + d);
    }
  }
}

// The chunked form of value head j of sequence b: each chunk's O goes straight into out (head
// j's rows of the [B, T, HV, V] output).
template <class S>
void chunked(const DeltaRuleInputs& in, const DeltaRuleOptions& options, std::int64_t b,
             std::int64_t j, GateKind gate, Mat<S>& state, Tensor& out, OpCounts& counts) {
  const std::int64_t T = in.q.dim(1), H = in.q.dim(2), HV = in.v.dim(2), V = in.v.dim(3);
  ChunkBuffers<S> x;
  x.g.resize(0, gate == GateKind::scalar ? 1 : in.q.dim(3));
  for (std::int64_t t0 = 0; t0 < T; t0 += options.chunk_size) {
    const std::int64_t c = std::min<std::int64_t>(options.chunk_size, T - t0);
    load_chunk(in, options, b, j, HV / H, t0, c, x);
    prefetch_rows(in, out, b, j, HV / H, t0 + c,
                  std::min<std::int64_t>(options.chunk_size, T - t0 - c));
    chunk_step(c, x, state, counts);
    Eigen::Map<Mat<double>, 0, Eigen::OuterStride<>>(out.data.data() + ((b * T + t0) * HV + j) * V,
                                                     c, V, Eigen::OuterStride<>(HV * V)) =
        x.out.template cast<double>();
  }
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
  parallel_for_counted(B * HV, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / HV, j = task % HV;  // one (sequence, value head) per task
    HeadMatrix<S> state_buffer = gather_matrix<S>(result.final_state, b * HV + j, K, V);
    Mat<S> state = to_eigen(state_buffer);
    if (options.form == DeltaRuleForm::recurrent) {
      const Mat<S> o =
          recurrent(gather_value_head<S>(in, options, b, j, HV / H, gate), state, counts);
      Eigen::Map<Mat<double>, 0, Eigen::OuterStride<>>(result.o.data.data() + (b * T * HV + j) * V,
                                                       T, V, Eigen::OuterStride<>(HV * V)) =
          o.template cast<double>();
    } else {
      chunked<S>(in, options, b, j, gate, state, result.o, counts);
    }
    Map<double>(result.final_state.data.data() + (b * HV + j) * K * V, K, V) =
        state.template cast<double>();
  });
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
