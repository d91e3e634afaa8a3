// Scalar-decay linear attention (mixers-spec §7, §8). Chunked form for a chunk of c tokens with
// chunk-local Γ_i = Σ_{t≤i} g_t and start state S₀:
//   O = (L ∘ q kᵀ) v + diag(e^Γ) q S₀,     L_ij = exp(Γ_i − Γ_j) for j ≤ i, else 0
//   S = e^{Γ_c} S₀ + Σ_j exp(Γ_c − Γ_j) k_j v_jᵀ
#include "mixers/common/scalar_decay.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "mixers/common/parallel.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mixers {
namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Map = Eigen::Map<Mat<S>>;
template <class S>
using StridedMap = Eigen::Map<Mat<S>, 0, Eigen::OuterStride<>>;
template <class S>
using ConstStridedMap = Eigen::Map<const Mat<S>, 0, Eigen::OuterStride<>>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

// Rows [t0, t0 + c) of `rows` into `into` [c, cols] as S, row t times scale.at(t). A head's rows
// are 1 KiB runs heads·dim apart, which the hardware prefetchers do not follow, so the rows the
// next load will read (`ahead`, from token `ahead_t0`; none when null) are asked for meanwhile.
template <class S>
void load_rows(const HeadRows& rows, std::int64_t t0, std::int64_t c, TokenScalars scale,
               S extra_scale, Mat<S>& into, const HeadRows* ahead = nullptr,
               std::int64_t ahead_t0 = 0, std::int64_t ahead_c = 0) {
  into.resize(c, rows.cols);
  const auto prefetch = [&](std::int64_t i) {
    if (ahead == nullptr || i >= ahead_c) return;
    const double* next = ahead->row(ahead_t0 + i);
    for (std::int64_t d = 0; d < ahead->cols; d += 8) __builtin_prefetch(next + d);
  };
  if (rows.conv != nullptr) {  // convolved as loaded, then scaled
    for (std::int64_t i = 0; i < ahead_c; ++i) prefetch(i);
    rows.conv->rows<S>(rows.part, rows.b, rows.begin, rows.cols, t0, c, into.data(), rows.cols);
    for (std::int64_t i = 0; i < c; ++i)
      into.row(i) *= static_cast<S>(scale.at(t0 + i)) * extra_scale;
    return;
  }
  for (std::int64_t i = 0; i < c; ++i) {
    prefetch(i);
    const double* src = rows.row(t0 + i);
    S* dst = into.row(i).data();
    const S factor = static_cast<S>(scale.at(t0 + i)) * extra_scale;
    for (std::int64_t d = 0; d < rows.cols; ++d) dst[d] = static_cast<S>(src[d]) * factor;
  }
}

// v = v_scale·x for a head whose output adds skip·x (Mamba-2: x is kept for D x); else v alone.
template <class S>
void load_values(const DecayHead& head, std::int64_t t0, std::int64_t c, Mat<S>& v, Mat<S>& x,
                 const HeadRows* ahead, std::int64_t ahead_t0, std::int64_t ahead_c) {
  if (head.skip == 0) {
    load_rows(head.v, t0, c, head.v_scale, S(1), v, ahead, ahead_t0, ahead_c);
    return;
  }
  load_rows(head.v, t0, c, {}, S(1), x, ahead, ahead_t0, ahead_c);
  v.resize(c, x.cols());
  for (std::int64_t i = 0; i < c; ++i)
    v.row(i) = x.row(i) * static_cast<S>(head.v_scale.at(t0 + i));
}

// Writes out [c, V] to output rows [t0, t0 + c), adding skip·x (Mamba-2's D x).
template <class S>
void store_rows(const Mat<S>& out, const DecayHead& head, const Mat<S>& x, std::int64_t t0,
                HeadOutput o) {
  const S skip = static_cast<S>(head.skip);
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    double* dst = o.row(t0 + i);
    const S* row = out.row(i).data();
    if (head.skip == 0) {
      for (Eigen::Index p = 0; p < out.cols(); ++p) dst[p] = static_cast<double>(row[p]);
      continue;
    }
    const S* v = x.row(i).data();
    for (Eigen::Index p = 0; p < out.cols(); ++p)
      dst[p] = static_cast<double>(row[p] + skip * v[p]);
  }
}

// A chunk's buffers, kept from chunk to chunk (the last chunk may be shorter).
template <class S>
struct ChunkBuffers {
  Mat<S> q, k, v, x;                 // [c, K], [c, K], [c, V], unscaled values [c, V]
  Vec<S> gamma, from_start, to_end;  // [c]
  Mat<S> scores, decayed;            // [c, c]
  Mat<S> read, out;                  // [c, V]
  Mat<S> k_to_end;                   // [c, K]
};

}  // namespace

HeadRows head_rows(const Tensor& x, std::int64_t b, std::int64_t h) {
  const HeadView<double> head = head_view(x, b, h);
  return {head.first, head.stride, head.cols};
}

HeadRows conv_rows(const ShortConv& conv, std::size_t part, std::int64_t b, std::int64_t h) {
  HeadRows rows = head_rows(conv.part(part), b, h);
  rows.conv = &conv;
  rows.part = part;
  rows.b = b;
  rows.begin = h * rows.cols;
  return rows;
}

HeadOutput head_output(Tensor& x, std::int64_t b, std::int64_t h) {
  ATTNSIM_ASSERT(x.rank() == 4, shape_string(x.shape));
  const std::int64_t T = x.dim(1), heads = x.dim(2), dim = x.dim(3);
  return {x.data.data() + (b * T * heads + h) * dim, heads * dim};
}

void for_each_head_block(
    std::int64_t B, std::int64_t H, OpCounts& counts,
    const std::function<void(std::int64_t, std::int64_t, std::int64_t, OpCounts&)>& block) {
  const std::int64_t threads = kernel_threads();
  const std::int64_t per_task = std::max<std::int64_t>(1, (H + threads - 1) / threads);
  const std::int64_t blocks = (H + per_task - 1) / per_task;
  parallel_for_counted(B * blocks, counts, [&](std::int64_t task, OpCounts& task_counts) {
    const std::int64_t h0 = task % blocks * per_task;
    block(task / blocks, h0, std::min(H, h0 + per_task), task_counts);
  });
}

void for_each_chunk_of_heads(
    std::size_t heads, std::int64_t T, std::int64_t chunk_size,
    const std::function<void(std::size_t, std::int64_t, std::int64_t, const NextChunk&)>& step) {
  for (std::int64_t t0 = 0; t0 < T; t0 += chunk_size) {
    const std::int64_t c = std::min(chunk_size, T - t0);
    const std::int64_t next_c = std::min(chunk_size, std::max<std::int64_t>(T - t0 - c, 0));
    for (std::size_t i = 0; i < heads; ++i)
      step(i, t0, c, i + 1 < heads ? NextChunk{i + 1, t0, c} : NextChunk{0, t0 + c, next_c});
  }
}

template <class S>
void scalar_decay_recurrent(const DecayHead& x, std::int64_t T, HeadMatrix<S>& state, HeadOutput o,
                            OpCounts& counts) {
  const std::int64_t K = x.q.cols, V = x.v.cols;
  Map<S> s(state.data.data(), K, V);
  Mat<S> q, k, v, values, out(1, V);
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t next = t + 1 < T ? 1 : 0;
    load_rows(x.q, t, 1, {}, static_cast<S>(x.q_scale), q, &x.q, t + 1, next);
    load_rows(x.k, t, 1, {}, S(1), k, &x.k, t + 1, next);
    load_values(x, t, 1, v, values, &x.v, t + 1, next);
    // One pass over the state, row by row: decay, add k_r v, and accumulate q_r·(new row) into
    // the output (three passes over K·V values before: the state is read once per token here).
    const S decay = std::exp(static_cast<S>(x.g.at(t)));
    out.setZero();
    for (std::int64_t r = 0; r < K; ++r) {
      s.row(r) = decay * s.row(r) + k(0, r) * v.row(0);
      out.row(0) += q(0, r) * s.row(r);
    }
    store_rows(out, x, values, t, o);
  }
  counts.add("state_update", T * K * V);
  counts.add("readout", T * K * V);
}

template <class S>
HeadMatrix<S> chunk_scores(HeadRows q, HeadRows k, std::int64_t T, std::int64_t chunk_size,
                           OpCounts& counts) {
  HeadMatrix<S> scores(T, chunk_size);
  Mat<S> q_chunk, k_chunk;
  for (std::int64_t t0 = 0; t0 < T; t0 += chunk_size) {
    const std::int64_t c = std::min(chunk_size, T - t0);
    const std::int64_t next = std::min(chunk_size, std::max<std::int64_t>(T - t0 - c, 0));
    load_rows(q, t0, c, {}, S(1), q_chunk, &q, t0 + c, next);
    load_rows(k, t0, c, {}, S(1), k_chunk, &k, t0 + c, next);
    // The full product in one BLAS call (faster than Eigen's own triangular product); only
    // the lower triangle is read.
    StridedMap<S>(scores.row(t0), c, c, Eigen::OuterStride<>(chunk_size)).noalias() =
        q_chunk * k_chunk.transpose();
    counts.add("scores", c * (c + 1) / 2 * q.cols);
  }
  return scores;
}

namespace {

bool same_rows(const HeadRows& a, const HeadRows& b) {
  return a.first == b.first && a.stride == b.stride && a.cols == b.cols && a.conv == b.conv &&
         a.part == b.part && a.b == b.b && a.begin == b.begin;
}

// One chunk [t0, t0 + c) of head x: o rows out, state s carried. While it loads its rows it asks
// for those of `next` from token next_t0 (the next head's same chunk, or the first head's next
// chunk), so that they arrive while this chunk's products run.
template <class S>
void chunk_step(const DecayHead& x, bool qk_loaded, std::int64_t t0, std::int64_t c,
                const HeadMatrix<S>* scores, std::int64_t chunk_size, Map<S>& s, ChunkBuffers<S>& b,
                HeadOutput o, const DecayHead* next, std::int64_t next_t0, std::int64_t next_c,
                OpCounts& counts) {
  const std::int64_t K = x.q.cols, V = x.v.cols;
  if (!qk_loaded) {  // else the previous head's (the same rows: Mamba-2's group)
    load_rows(x.q, t0, c, {}, static_cast<S>(x.q_scale), b.q, next ? &next->q : nullptr, next_t0,
              next_c);
    load_rows(x.k, t0, c, {}, S(1), b.k, next ? &next->k : nullptr, next_t0, next_c);
  }
  load_values(x, t0, c, b.v, b.x, next ? &next->v : nullptr, next_t0, next_c);
  b.gamma.resize(c);  // chunk-local cumulative log decay
  S running = 0;
  for (std::int64_t i = 0; i < c; ++i) b.gamma(i) = running += static_cast<S>(x.g.at(t0 + i));
  if (scores == nullptr) {
    b.scores.noalias() = b.q * b.k.transpose();  // one BLAS call; the lower triangle is read
    counts.add("scores", c * (c + 1) / 2 * K);
  } else {
    b.scores = ConstStridedMap<S>(scores->row(t0), c, c, Eigen::OuterStride<>(chunk_size));
  }
  // L ∘ q kᵀ: exp(Γ_i − Γ_j) for j ≤ i in one exp pass, then zero above the diagonal
  b.decayed.resize(c, c);
  for (std::int64_t i = 0; i < c; ++i)
    for (std::int64_t j = 0; j < c; ++j) b.decayed(i, j) = j <= i ? b.gamma(i) - b.gamma(j) : S(0);
  exp_in_place(b.decayed.data(), b.decayed.size());
  b.decayed.array() *= b.scores.array();
  for (std::int64_t i = 0; i < c; ++i) b.decayed.row(i).tail(c - i - 1).setZero();
  b.out.noalias() = b.decayed * b.v;  // one BLAS product, as for the scores
  b.from_start = b.gamma;
  exp_in_place(b.from_start.data(), c);
  b.read.noalias() = b.q * s;
  b.out.noalias() += b.from_start.asDiagonal() * b.read;
  b.to_end = (b.gamma(c - 1) - b.gamma.array()).matrix();
  exp_in_place(b.to_end.data(), c);
  s *= std::exp(b.gamma(c - 1));
  b.k_to_end = b.to_end.asDiagonal() * b.k;
  s.noalias() += b.k_to_end.transpose() * b.v;
  store_rows(b.out, x, b.x, t0, o);
  counts.add("intra_output", c * (c + 1) / 2 * V);
  counts.add("state_read", c * K * V);
  counts.add("state_update", c * K * V);
}

}  // namespace

template <class S>
void scalar_decay_chunked(const std::vector<DecayHead>& heads, std::int64_t T,
                          const std::vector<const HeadMatrix<S>*>& scores, std::int64_t chunk_size,
                          std::vector<HeadMatrix<S>>& states,
                          const std::vector<HeadOutput>& outputs, OpCounts& counts) {
  const std::size_t n = heads.size();
  ATTNSIM_ASSERT(scores.size() == n && states.size() == n && outputs.size() == n, "heads");
  std::vector<Map<S>> s;
  for (std::size_t i = 0; i < n; ++i)
    s.emplace_back(states[i].data.data(), heads[i].q.cols, heads[i].v.cols);
  ChunkBuffers<S> b;
  for_each_chunk_of_heads(
      n, T, chunk_size, [&](std::size_t i, std::int64_t t0, std::int64_t c, const NextChunk& next) {
        // Heads that read the same q and k rows (Mamba-2's group) load them once.
        const bool qk_loaded = i > 0 && same_rows(heads[i].q, heads[i - 1].q) &&
                               same_rows(heads[i].k, heads[i - 1].k) &&
                               heads[i].q_scale == heads[i - 1].q_scale;
        chunk_step(heads[i], qk_loaded, t0, c, scores[i], chunk_size, s[i], b, outputs[i],
                   next.c > 0 ? &heads[next.head] : nullptr, next.t0, next.c, counts);
      });
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

template void scalar_decay_recurrent(const DecayHead&, std::int64_t, HeadMatrix<float>&, HeadOutput,
                                     OpCounts&);
template void scalar_decay_recurrent(const DecayHead&, std::int64_t, HeadMatrix<double>&,
                                     HeadOutput, OpCounts&);
template HeadMatrix<float> chunk_scores(HeadRows, HeadRows, std::int64_t, std::int64_t, OpCounts&);
template HeadMatrix<double> chunk_scores(HeadRows, HeadRows, std::int64_t, std::int64_t, OpCounts&);
template void scalar_decay_chunked(const std::vector<DecayHead>&, std::int64_t,
                                   const std::vector<const HeadMatrix<float>*>&, std::int64_t,
                                   std::vector<HeadMatrix<float>>&, const std::vector<HeadOutput>&,
                                   OpCounts&);
template void scalar_decay_chunked(const std::vector<DecayHead>&, std::int64_t,
                                   const std::vector<const HeadMatrix<double>*>&, std::int64_t,
                                   std::vector<HeadMatrix<double>>&, const std::vector<HeadOutput>&,
                                   OpCounts&);

}  // namespace attnsim::mixers
