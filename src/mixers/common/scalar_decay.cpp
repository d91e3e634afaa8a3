// Scalar-decay linear attention (mixers-spec §7, §8). Chunked form for a chunk of c tokens with
// chunk-local Γ_i = Σ_{t≤i} g_t and start state S₀:
//   O = (L ∘ q kᵀ) v + diag(e^Γ) q S₀,     L_ij = exp(Γ_i − Γ_j) for j ≤ i, else 0
//   S = e^{Γ_c} S₀ + Σ_j exp(Γ_c − Γ_j) k_j v_jᵀ
#include "mixers/common/scalar_decay.h"

#include <Eigen/Dense>
#include <cmath>

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
ConstMap<S> rows_of(const HeadMatrix<S>& m, std::int64_t first, std::int64_t count) {
  return ConstMap<S>(m.row(first), count, m.cols);
}

}  // namespace

template <class S>
HeadMatrix<S> scalar_decay_recurrent(const DecayHead<S>& head, HeadMatrix<S>& state,
                                     OpCounts& counts) {
  const std::int64_t T = head.q.rows, K = head.q.cols, V = head.v.cols;
  HeadMatrix<S> o(T, V);
  Map<S> s(state.data.data(), K, V);
  for (std::int64_t t = 0; t < T; ++t) {
    s *= std::exp(head.g[static_cast<std::size_t>(t)]);
    s.noalias() += rows_of(head.k, t, 1).transpose() * rows_of(head.v, t, 1);
    Map<S>(o.row(t), 1, V).noalias() = rows_of(head.q, t, 1) * s;
  }
  counts.add("state_update", T * K * V);
  counts.add("readout", T * K * V);
  return o;
}

template <class S>
std::vector<HeadMatrix<S>> chunk_scores(const HeadMatrix<S>& q, const HeadMatrix<S>& k,
                                        std::int64_t chunk_size, OpCounts& counts) {
  std::vector<HeadMatrix<S>> scores;
  for (std::int64_t t0 = 0; t0 < q.rows; t0 += chunk_size) {
    const std::int64_t c = std::min(chunk_size, q.rows - t0);
    HeadMatrix<S> chunk(c, c);
    // The full product in one BLAS call (faster than Eigen's own triangular product); only
    // the lower triangle is read.
    Map<S>(chunk.data.data(), c, c).noalias() = rows_of(q, t0, c) * rows_of(k, t0, c).transpose();
    counts.add("scores", c * (c + 1) / 2 * q.cols);
    scores.push_back(std::move(chunk));
  }
  return scores;
}

template <class S>
HeadMatrix<S> scalar_decay_chunked(const DecayHead<S>& head,
                                   const std::vector<HeadMatrix<S>>& scores,
                                   std::int64_t chunk_size, HeadMatrix<S>& state,
                                   OpCounts& counts) {
  const std::int64_t T = head.q.rows, K = head.q.cols, V = head.v.cols;
  HeadMatrix<S> o(T, V);
  Map<S> s(state.data.data(), K, V);
  // Buffers kept from chunk to chunk (the last chunk may be shorter).
  Vec<S> gamma, from_start, to_end;
  Mat<S> decayed, read, k_to_end;
  for (std::int64_t t0 = 0, n = 0; t0 < T; t0 += chunk_size, ++n) {
    const std::int64_t c = std::min(chunk_size, T - t0);
    gamma.resize(c);  // chunk-local cumulative log decay
    S running = 0;
    for (std::int64_t i = 0; i < c; ++i)
      gamma(i) = running += head.g[static_cast<std::size_t>(t0 + i)];
    // L ∘ q kᵀ: exp(Γ_i − Γ_j) for j ≤ i in one exp pass, then zero above the diagonal
    decayed.resize(c, c);
    for (std::int64_t i = 0; i < c; ++i)
      for (std::int64_t j = 0; j < c; ++j) decayed(i, j) = j <= i ? gamma(i) - gamma(j) : S(0);
    exp_in_place(decayed.data(), decayed.size());
    decayed.array() *= ConstMap<S>(scores[static_cast<std::size_t>(n)].data.data(), c, c).array();
    for (std::int64_t i = 0; i < c; ++i) decayed.row(i).tail(c - i - 1).setZero();
    const auto v = rows_of(head.v, t0, c);
    Map<S> out(o.row(t0), c, V);
    out.noalias() = decayed * v;  // one BLAS product, as for the scores
    from_start = gamma;
    exp_in_place(from_start.data(), c);
    read.noalias() = rows_of(head.q, t0, c) * s;
    out.noalias() += from_start.asDiagonal() * read;
    to_end = (gamma(c - 1) - gamma.array()).matrix();
    exp_in_place(to_end.data(), c);
    s *= std::exp(gamma(c - 1));
    k_to_end.noalias() = to_end.asDiagonal() * rows_of(head.k, t0, c);
    s.noalias() += k_to_end.transpose() * v;
    counts.add("intra_output", c * (c + 1) / 2 * V);
    counts.add("state_read", c * K * V);
    counts.add("state_update", c * K * V);
  }
  return o;
}

FlopCounts scalar_decay_flops_recurrent(std::int64_t K, std::int64_t V, std::int64_t T) {
  FlopCounts flops;
  add_macs(flops, "state_update", static_cast<double>(T) * static_cast<double>(K * V));
  add_macs(flops, "readout", static_cast<double>(T) * static_cast<double>(K * V));
  return flops;
}

namespace {
// T = n·C + r: n full chunks and one of r tokens; f(c) = multiply-adds of a chunk of c tokens.
template <class PerChunk>
void over_chunks(std::int64_t T, std::int64_t C, PerChunk f) {
  f(static_cast<double>(T / C), static_cast<double>(C));
  f(1.0, static_cast<double>(T % C));
}
}  // namespace

FlopCounts scalar_decay_flops_chunked(std::int64_t K, std::int64_t V, std::int64_t T,
                                      std::int64_t C) {
  FlopCounts flops;
  over_chunks(T, C, [&](double count, double c) {
    add_macs(flops, "intra_output", count * c * (c + 1) / 2 * V);
    add_macs(flops, "state_read", count * c * K * V);
    add_macs(flops, "state_update", count * c * K * V);
  });
  return flops;
}

FlopCounts chunk_score_flops(std::int64_t K, std::int64_t T, std::int64_t C) {
  FlopCounts flops;
  over_chunks(T, C, [&](double count, double c) {
    add_macs(flops, "scores", count * c * (c + 1) / 2 * K);
  });
  return flops;
}

template HeadMatrix<float> scalar_decay_recurrent(const DecayHead<float>&, HeadMatrix<float>&,
                                                  OpCounts&);
template HeadMatrix<double> scalar_decay_recurrent(const DecayHead<double>&, HeadMatrix<double>&,
                                                   OpCounts&);
template std::vector<HeadMatrix<float>> chunk_scores(const HeadMatrix<float>&,
                                                     const HeadMatrix<float>&, std::int64_t,
                                                     OpCounts&);
template std::vector<HeadMatrix<double>> chunk_scores(const HeadMatrix<double>&,
                                                      const HeadMatrix<double>&, std::int64_t,
                                                      OpCounts&);
template HeadMatrix<float> scalar_decay_chunked(const DecayHead<float>&,
                                                const std::vector<HeadMatrix<float>>&, std::int64_t,
                                                HeadMatrix<float>&, OpCounts&);
template HeadMatrix<double> scalar_decay_chunked(const DecayHead<double>&,
                                                 const std::vector<HeadMatrix<double>>&,
                                                 std::int64_t, HeadMatrix<double>&, OpCounts&);

}  // namespace attnsim::mixers
