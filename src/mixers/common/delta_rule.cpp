// Gated delta rule (mixers-spec §5, §6). Per value head j, with q/k head j // (HV/H):
//   S' = Diag(exp g_t) S,  u_t = β_t (v_t − S'ᵀ k̂_t),  S_t = S' + k̂_t u_tᵀ,  o_t = S_tᵀ q̂_t.
#include "mixers/common/delta_rule.h"

#include <Eigen/Dense>
#include <cmath>
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
template <class S>
void l2_normalize_rows(Mat<S>& x, double eps) {
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

// e^x elementwise, on the exponents evaluated first (vectorised, see vector_exp.h).
template <class S>
Mat<S> exp_of(Mat<S> x) {
  exp_in_place(x.data(), x.size());
  return x;
}

// decay(i, j) = exp(Γ_i − Γ_j) for j ≤ i (0 above) for a scalar gate's chunk-local Γ [c, 1].
template <class S>
Mat<S> lower_decay_ratios(const Mat<S>& gamma) {
  const Eigen::Index c = gamma.rows();
  Mat<S> decay = Mat<S>::Zero(c, c);
  for (Eigen::Index i = 0; i < c; ++i) {
    decay.row(i).head(i + 1) = (gamma(i, 0) - gamma.col(0).head(i + 1).array()).transpose();
    exp_in_place(decay.row(i).data(), i + 1);
  }
  return decay;
}

// Pairwise decayed products within a chunk (Γ = chunk-local cumulative gates [c, Kg]):
//   qk(i, j) = Σ_d q̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j ≤ i
//   kk(i, j) = Σ_d k̂_i[d] k̂_j[d] exp(Γ_i[d] − Γ_j[d])  for j < i
// Ratios are formed as exp(Γ_i − Γ_j) with j ≤ i, never as exp(Γ_i)·exp(−Γ_j) (overflow).
template <class S>
void decayed_pair_products(const Mat<S>& q, const Mat<S>& k, const Mat<S>& gamma, Mat<S>& qk,
                           Mat<S>& kk) {
  const Eigen::Index c = q.rows();
  qk.setZero(c, c);
  kk.setZero(c, c);
  if (gamma.cols() == 1) {  // scalar gate: [q̂; k̂] k̂ᵀ as one full product, then the ratios
    // (the full product does the upper triangle too, but in one BLAS call, which outruns
    // Eigen's own triangular product several times over)
    Mat<S> stacked(2 * c, q.cols());
    stacked << q, k;
    const Mat<S> products = stacked * k.transpose();
    Mat<S> decay = lower_decay_ratios(gamma);  // 0 above the diagonal
    qk = (products.topRows(c).array() * decay.array()).matrix();
    decay.diagonal().setZero();  // kk: j < i only
    kk = (products.bottomRows(c).array() * decay.array()).matrix();
    return;
  }
  // Per-channel gate, in sub-blocks of kSubBlock rows starting at row r. For rows i of the
  // sub-block and any j ≤ i, exp(Γ_i − Γ_j) = exp(Γ_i − Γ_r)·exp(Γ_r − Γ_j): one product of
  // rescaled rows. Against earlier rows (j < r) both exponents are ≤ 0 for decaying gates, so
  // nothing overflows. Inside the sub-block exp(Γ_r − Γ_j) grows with the decay over its rows;
  // the factored product is used while that spread is within safe_spread (no overflow, and the
  // factors stay far from the type's range), else one exp per (i, j, d), which is always safe.
  constexpr Eigen::Index kSubBlock = 16;
  const S safe_spread = std::is_same_v<S, float> ? S(20) : S(200);
  for (Eigen::Index r = 0; r < c; r += kSubBlock) {
    const Eigen::Index rows = std::min(kSubBlock, c - r);
    const auto block = gamma.middleRows(r, rows);
    const S spread = (block.colwise().maxCoeff() - block.colwise().minCoeff()).maxCoeff();
    const bool factored = spread <= safe_spread;
    const Eigen::Index seen = factored ? r + rows : r;  // columns j done by the product
    const Mat<S> to_r = exp_of<S>(block.rowwise() - gamma.row(r));
    const Mat<S> from_rows_to_r = exp_of<S>((-gamma.topRows(seen)).rowwise() + gamma.row(r));
    const Mat<S> k_from_r = (k.topRows(seen).array() * from_rows_to_r.array()).matrix();
    if (seen > 0) {  // q and k rows of the sub-block stacked: one product for qk and kk
      Mat<S> scaled(2 * rows, q.cols());
      scaled.topRows(rows) = (q.middleRows(r, rows).array() * to_r.array()).matrix();
      scaled.bottomRows(rows) = (k.middleRows(r, rows).array() * to_r.array()).matrix();
      const Mat<S> products = scaled * k_from_r.transpose();
      qk.block(r, 0, rows, seen) = products.topRows(rows);
      kk.block(r, 0, rows, seen) = products.bottomRows(rows);
    }
    // Keep the lower triangle (j ≤ i for qk, j < i for kk) of the diagonal sub-block.
    for (Eigen::Index i = r; i < r + rows; ++i) {
      for (Eigen::Index j = r; j <= i; ++j) {
        if (!factored) {
          const auto decay = (gamma.row(i) - gamma.row(j)).array().exp();
          qk(i, j) = (q.row(i).array() * k.row(j).array() * decay).sum();
          kk(i, j) = (k.row(i).array() * k.row(j).array() * decay).sum();
        }
        if (j == i) kk(i, j) = 0;
      }
      for (Eigen::Index j = i + 1; j < r + rows; ++j) qk(i, j) = kk(i, j) = 0;
    }
  }
}

// Rows of x [c, K] scaled by per-row factors f [c, Kg] (one per channel, or broadcast when
// Kg = 1).
template <class S>
Mat<S> scale_rows(const Mat<S>& x, const Mat<S>& f) {
  if (f.cols() == 1) return f.col(0).asDiagonal() * x;
  return (x.array() * f.array()).matrix();
}

// mixers-spec §5 chunked form for one chunk; updates `state` from S₀ to S_C, returns O.
template <class S>
Mat<S> chunk_step(const Mat<S>& q, const Mat<S>& k, const Mat<S>& v, const Mat<S>& g,
                  const Eigen::Matrix<S, Eigen::Dynamic, 1>& beta, Mat<S>& state,
                  OpCounts& counts) {
  const Eigen::Index c = q.rows(), K = q.cols(), V = v.cols();
  Mat<S> gamma = g;  // Γ_i = Σ_{t ≤ i} g_t within the chunk
  for (Eigen::Index i = 1; i < c; ++i) gamma.row(i) += gamma.row(i - 1);
  Mat<S> qk, kk;
  decayed_pair_products(q, k, gamma, qk, kk);
  // (e^Γ ⊙ K̂) S₀ and (e^Γ ⊙ Q̂) S₀ as one [2c, K]·[K, V] product (one larger GEMM runs
  // faster than two half-size ones).
  const Mat<S> from_start = exp_of<S>(gamma);  // e^Γ, shared by k̂ and q̂
  Mat<S> decayed(2 * c, K);
  decayed.topRows(c) = scale_rows(k, from_start);
  decayed.bottomRows(c) = scale_rows(q, from_start);
  const Mat<S> read = decayed * state;
  // (I + diag(β) kk) U = diag(β) (V − (e^Γ ⊙ K̂) S₀): unit-lower-triangular solve.
  const Mat<S> a = beta.asDiagonal() * kk;
  Mat<S> u = beta.asDiagonal() * (v - read.topRows(c));
  a.template triangularView<Eigen::UnitLower>().solveInPlace(u);
  // O = (e^Γ ⊙ Q̂) S₀ + tril(qk) U
  Mat<S> o = read.bottomRows(c);
  o.noalias() += qk * u;  // qk is 0 above the diagonal
  // S_C = Diag(e^{Γ_C}) S₀ + Σ_j (exp(Γ_C − Γ_j) ⊙ k̂_j) u_jᵀ
  const Mat<S> to_end = exp_of<S>((-gamma).rowwise() + gamma.row(c - 1));
  state = channel_decay<S>(gamma.row(c - 1), K).asDiagonal() * state;
  state.noalias() += scale_rows(k, to_end).transpose() * u;
  counts.add("qk_scores", c * (c + 1) / 2 * K);
  counts.add("kk_scores", c * (c - 1) / 2 * K);
  counts.add("state_read", 2 * c * K * V);
  counts.add("solve", c * (c - 1) / 2 * V);
  counts.add("intra_output", c * (c + 1) / 2 * V);
  counts.add("state_update", c * K * V);
  return o;
}

template <class S>
Mat<S> chunked(const Head<S>& x, std::int64_t chunk_size, Mat<S>& state, OpCounts& counts) {
  const Eigen::Index T = x.q.rows();
  Mat<S> o(T, x.v.cols());
  for (Eigen::Index t0 = 0; t0 < T; t0 += chunk_size) {
    const Eigen::Index c = std::min<Eigen::Index>(chunk_size, T - t0);
    o.middleRows(t0, c) =
        chunk_step<S>(x.q.middleRows(t0, c), x.k.middleRows(t0, c), x.v.middleRows(t0, c),
                      x.g.middleRows(t0, c), x.beta.segment(t0, c), state, counts);
  }
  return o;
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
  Head<S> x;
  x.q = head_rows(in.q, b, j / group).cast<S>();  // GVA: q/k head j // (HV/H)
  x.k = head_rows(in.k, b, j / group).cast<S>();
  if (options.use_qk_l2norm) {
    l2_normalize_rows(x.q, options.l2norm_eps);
    l2_normalize_rows(x.k, options.l2norm_eps);
  }
  x.q *= static_cast<S>(options.scale.value_or(1.0 / std::sqrt(static_cast<double>(K))));
  x.v = head_rows(in.v, b, j).cast<S>();
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
    const Head<S> x = gather_value_head<S>(in, options, b, j, HV / H, gate);
    HeadMatrix<S> state_buffer = gather_matrix<S>(result.final_state, b * HV + j, K, V);
    Mat<S> state = to_eigen(state_buffer);
    const Mat<S> o = options.form == DeltaRuleForm::recurrent
                         ? recurrent(x, state, counts)
                         : chunked(x, options.chunk_size, state, counts);
    Eigen::Map<Mat<double>, 0, Eigen::OuterStride<>>(result.o.data.data() + (b * T * HV + j) * V, T,
                                                     V, Eigen::OuterStride<>(HV * V)) =
        o.template cast<double>();
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
