// mLSTM (mixers-spec-recurrent §14), per (sequence, head): the soft-capped gates, then either the
// stabilised recurrence token by token, or chunks in which every token's stabiliser is
// m_t = max(F_t + m_prev, max_{j≤t}(F_t − F_j + ĩ_j)) (F the chunk-local cumulative log forget
// gate), the same m the recurrence produces; the parallel form is one chunk of T.
#include "mixers/mlstm/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"
#include "mixers/common/scalar_decay.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mlstm {
namespace {

using mixers::exp_in_place;
using mixers::HeadMatrix;

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.q.shape, 4, "q", "[B, T, NH, DK]");
  require_rank(in.v.shape, 4, "v", "[B, T, NH, DV]");
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1);
  const Shapes sh{in.q.dim(2), in.q.dim(3), in.v.dim(3)};
  require_shape(in.k.shape, {B, T, sh.NH, sh.DK}, "k", "B,T,NH,DK");
  require_shape(in.v.shape, {B, T, sh.NH, sh.DV}, "v", "B,T,NH,DV");
  require_shape(in.i_preact.shape, {B, T, sh.NH}, "i_preact", "B,T,NH");
  require_shape(in.f_preact.shape, {B, T, sh.NH}, "f_preact", "B,T,NH");
  if (!in.initial_state.empty())
    require_shape(in.initial_state.shape, {B, sh.NH, sh.DK, sh.DV}, "initial_state", "B,NH,DK,DV");
  if (!in.initial_n.empty())
    require_shape(in.initial_n.shape, {B, sh.NH, sh.DK}, "initial_n", "B,NH,DK");
  if (!in.initial_m.empty()) require_shape(in.initial_m.shape, {B, sh.NH}, "initial_m", "B,NH");
  if (options.chunk_size < 1)
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  if (options.gate_soft_cap && !(*options.gate_soft_cap > 0))
    throw UserError(SourceLocation{}, "gate_soft_cap", "> 0 or none",
                    std::to_string(*options.gate_soft_cap));
  return sh;
}

// One head's gates in place, from its pre-activations: ĩ ← cap·tanh(ĩ/cap) and f̃ likewise (no
// cap: unchanged), then f̃ ← log σ(f̃) = min(f̃, 0) − log1p(e^{−|f̃|}), without overflow. Eigen's
// array functions run them at the vector width where it has them (float: tanh, exp and log1p;
// double: exp), a head at a time rather than token by token through libm.
template <class S>
void gates_in_place(std::optional<double> cap, std::vector<S>& i_gate, std::vector<S>& f_gate) {
  using Array = Eigen::Array<S, Eigen::Dynamic, 1>;
  Eigen::Map<Array> i(i_gate.data(), static_cast<Eigen::Index>(i_gate.size()));
  Eigen::Map<Array> f(f_gate.data(), static_cast<Eigen::Index>(f_gate.size()));
  if (cap) {
    const auto c = static_cast<S>(*cap);
    i = c * (i / c).tanh();
    f = c * (f / c).tanh();
  }
  f = f.min(S(0)) - (-f.abs()).exp().log1p();
}

template <class S>
struct Head {
  HeadMatrix<S> q, k, v;         // q already scaled by s
  std::vector<S> i_gate, log_f;  // ĩ and log σ(f̃) per token
};

template <class S>
struct State {
  HeadMatrix<S> C;   // [DK, DV]
  std::vector<S> n;  // [DK]
  S m{0};
};

// h = num / (max(|den|, e^{−m}) + eps).
template <class S>
void write_output(HeadMatrix<S>& o, std::int64_t t, const std::vector<S>& num, S den, S m,
                  double eps) {
  const S denominator = std::max(std::abs(den), std::exp(-m)) + static_cast<S>(eps);
  for (std::size_t e = 0; e < num.size(); ++e)
    o.at(t, static_cast<std::int64_t>(e)) = num[e] / denominator;
}

template <class S>
void recurrent(const Head<S>& x, State<S>& st, HeadMatrix<S>& o, std::vector<S>& m_out, double eps,
               OpCounts& counts) {
  const std::int64_t T = x.q.rows, DK = st.C.rows, DV = st.C.cols;
  std::vector<S> num(static_cast<std::size_t>(DV));
  for (std::int64_t t = 0; t < T; ++t) {
    const S m = std::max(x.log_f[static_cast<std::size_t>(t)] + st.m,
                         x.i_gate[static_cast<std::size_t>(t)]);
    const S forget = std::exp(x.log_f[static_cast<std::size_t>(t)] + st.m - m);
    const S input = std::exp(x.i_gate[static_cast<std::size_t>(t)] - m);
    std::fill(num.begin(), num.end(), S{0});
    S den{0};
    for (std::int64_t d = 0; d < DK; ++d) {
      const S kd = input * x.k.at(t, d);
      for (std::int64_t e = 0; e < DV; ++e) {
        st.C.at(d, e) = forget * st.C.at(d, e) + kd * x.v.at(t, e);
        num[static_cast<std::size_t>(e)] += st.C.at(d, e) * x.q.at(t, d);
      }
      st.n[static_cast<std::size_t>(d)] = forget * st.n[static_cast<std::size_t>(d)] + kd;
      den += st.n[static_cast<std::size_t>(d)] * x.q.at(t, d);
    }
    st.m = m;
    m_out[static_cast<std::size_t>(t)] = m;
    write_output(o, t, num, den, m, eps);
  }
  counts.add("state_update", T * (DK * DV + DK));
  counts.add("readout", T * (DK * DV + DK));
}

// One chunk of c tokens from `start`, pair by pair (the parallel form: one chunk of T, which
// this keeps without a T×T matrix).
template <class S>
void chunk(const Head<S>& x, std::int64_t start, std::int64_t c, State<S>& st, HeadMatrix<S>& o,
           std::vector<S>& m_out, double eps, OpCounts& counts) {
  const std::int64_t DK = st.C.rows, DV = st.C.cols;
  std::vector<S> F(static_cast<std::size_t>(c)), m(static_cast<std::size_t>(c));
  S sum{0};
  for (std::int64_t i = 0; i < c; ++i) {
    sum += x.log_f[static_cast<std::size_t>(start + i)];
    F[static_cast<std::size_t>(i)] = sum;
  }
  // 1. Stabilisers: m_i = max(F_i + m_prev, max_{j≤i}(F_i − F_j + ĩ_j)).
  for (std::int64_t i = 0; i < c; ++i) {
    const S Fi = F[static_cast<std::size_t>(i)];
    S best = Fi + st.m;
    for (std::int64_t j = 0; j <= i; ++j)
      best = std::max(best, Fi - F[static_cast<std::size_t>(j)] +
                                x.i_gate[static_cast<std::size_t>(start + j)]);
    m[static_cast<std::size_t>(i)] = best;
    m_out[static_cast<std::size_t>(start + i)] = best;
  }
  // 2. Outputs: the start state's share e^{F_i + m_prev − m_i}(Cᵀq, n·q) and the intra-chunk
  //    terms e^{F_i − F_j + ĩ_j − m_i}(q_i·k_j)(v_j, 1).
  std::vector<S> num(static_cast<std::size_t>(DV));
  for (std::int64_t i = 0; i < c; ++i) {
    const S Fi = F[static_cast<std::size_t>(i)], mi = m[static_cast<std::size_t>(i)];
    const S carry = std::exp(Fi + st.m - mi);
    std::fill(num.begin(), num.end(), S{0});
    S den{0};
    for (std::int64_t d = 0; d < DK; ++d) {
      const S qd = x.q.at(start + i, d);
      for (std::int64_t e = 0; e < DV; ++e) num[static_cast<std::size_t>(e)] += st.C.at(d, e) * qd;
      den += st.n[static_cast<std::size_t>(d)] * qd;
    }
    for (S& value : num) value *= carry;
    den *= carry;
    for (std::int64_t j = 0; j <= i; ++j) {
      S score{0};
      for (std::int64_t d = 0; d < DK; ++d) score += x.q.at(start + i, d) * x.k.at(start + j, d);
      const S weight = std::exp(Fi - F[static_cast<std::size_t>(j)] +
                                x.i_gate[static_cast<std::size_t>(start + j)] - mi) *
                       score;
      for (std::int64_t e = 0; e < DV; ++e)
        num[static_cast<std::size_t>(e)] += weight * x.v.at(start + j, e);
      den += weight;
    }
    write_output(o, start + i, num, den, mi, eps);
  }
  counts.add("scores", c * (c + 1) / 2 * DK);
  counts.add("intra_output", c * (c + 1) / 2 * (DV + 1));
  counts.add("state_read", c * (DK * DV + DK));
  // 3. The chunk-end state, stabilised by the last token's m.
  const S F_end = F[static_cast<std::size_t>(c - 1)], m_end = m[static_cast<std::size_t>(c - 1)];
  const S carry = std::exp(F_end + st.m - m_end);
  for (S& value : st.C.data) value *= carry;
  for (S& value : st.n) value *= carry;
  for (std::int64_t j = 0; j < c; ++j) {
    const S weight = std::exp(F_end - F[static_cast<std::size_t>(j)] +
                              x.i_gate[static_cast<std::size_t>(start + j)] - m_end);
    for (std::int64_t d = 0; d < DK; ++d) {
      const S kd = weight * x.k.at(start + j, d);
      for (std::int64_t e = 0; e < DV; ++e) st.C.at(d, e) += kd * x.v.at(start + j, e);
      st.n[static_cast<std::size_t>(d)] += kd;
    }
  }
  counts.add("state_update", c * (DK * DV + DK));
  st.m = m_end;
}

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

// out [c, DV + 1] = [num | den] → h = num / (max(|den|, e^{−m}) + eps) in the first DV columns,
// each row times its reciprocal denominator (one division per row, not per value).
template <class Out, class S>
void normalise(Out& out, const Vec<S>& m, Vec<S>& floor, double eps) {
  const Eigen::Index c = out.rows(), DV = out.cols() - 1;
  floor = -m;
  exp_in_place(floor.data(), c);
  for (Eigen::Index i = 0; i < c; ++i)
    out.row(i).head(DV) *= S(1) / (std::max(std::abs(out(i, DV)), floor(i)) + static_cast<S>(eps));
}

// The chunkwise form's buffers, kept from chunk to chunk.
template <class S>
struct ChunkBuffers {
  Mat<S> k_to_end;                          // [c, DK]: diag(D_c·) k
  Mat<S> weights;                           // [c, c]
  Vec<S> decay;                             // D's lower triangle, row by row: c(c + 1)/2
  Vec<S> F, gain, m, carry, to_end, floor;  // [c]
};

// The exponents of D's lower triangle, packed row by row (row i from i(i + 1)/2), and the
// stabilisers m: with g_j = ĩ_j − F_j, row i holds (F_i + g_j) − m_i for j ≤ i, where m_i =
// max(F_i + m_prev,
// max_{j≤i}(F_i + g_j)). Rounding is monotone, so max_j fl(F_i + g_j) = fl(F_i + max_{j≤i} g_j):
// a running max gives m_i exactly as the largest of the sums it stabilises, and every exponent
// is ≤ 0. Plain loops over restrict pointers, which the compiler vectorises.
template <class S>
void stabilised_exponents(const S* __restrict F, const S* __restrict i_gate, std::int64_t c,
                          S m_prev, S* __restrict gain, S* __restrict m, S* __restrict decay) {
  for (std::int64_t j = 0; j < c; ++j) gain[j] = i_gate[j] - F[j];
  S running = -std::numeric_limits<S>::infinity();
  for (std::int64_t i = 0; i < c; ++i) {
    running = std::max(running, gain[i]);
    m[i] = std::max(F[i] + m_prev, F[i] + running);
  }
  for (std::int64_t i = 0; i < c; ++i) {
    S* __restrict row = decay + i * (i + 1) / 2;
    const S Fi = F[i], mi = m[i];
    for (std::int64_t j = 0; j <= i; ++j) row[j] = (Fi + gain[j]) - mi;
  }
}

template <class S>
using ConstStridedMap = Eigen::Map<const Mat<S>, 0, Eigen::OuterStride<>>;
template <class S>
using StridedMap = Eigen::Map<Mat<S>, 0, Eigen::OuterStride<>>;

// The chunkwise form for the chunk of c tokens from `start` (q scaled by s, k, [v | 1]), as
// products, with the state C and n side by side in Cn = [C | n] [DK, DV + 1] and v carrying a
// column of ones, so that each product does the numerators and the denominator at once: with D_ij =
// e^{F_i − F_j + ĩ_j − m_i} (j ≤ i, 0 above) and W = D ∘ q kᵀ,
//   [num | den] = diag(e^{F + m_prev − m}) q Cn + W [v | 1],
//   Cn ← e^{F_c + m_prev − m_c} Cn + (diag(w) k)ᵀ [v | 1],   w_j = D_cj.
// Every exponent is ≤ 0 (m is the max of those very sums), so nothing overflows. Leaves the
// outputs in out's first DV columns (out [c, DV + 1]) and the stabilisers in x.m.
template <class S>
void chunk_step(const Head<S>& gates, std::int64_t start, const ConstStridedMap<S>& q,
                const ConstStridedMap<S>& k, const ConstStridedMap<S>& v, StridedMap<S> out,
                ChunkBuffers<S>& x, Mat<S>& Cn, S& m_prev, double eps, OpCounts& counts) {
  const std::int64_t c = q.rows(), DK = Cn.rows(), DV = Cn.cols() - 1;
  x.F.resize(c);
  S sum{0};
  for (std::int64_t i = 0; i < c; ++i)
    x.F(i) = sum += gates.log_f[static_cast<std::size_t>(start + i)];
  // 1. Stabilisers and D, exponentiated in one pass over its packed lower triangle.
  x.gain.resize(c);
  x.m.resize(c);
  x.decay.resize(c * (c + 1) / 2);
  stabilised_exponents(x.F.data(), gates.i_gate.data() + start, c, m_prev, x.gain.data(),
                       x.m.data(), x.decay.data());
  exp_in_place(x.decay.data(), x.decay.size());
  // 2. Outputs.
  x.weights.noalias() = q * k.transpose();  // full product in one BLAS call
  for (std::int64_t i = 0; i < c; ++i) {    // W = D ∘ q kᵀ, 0 above the diagonal
    x.weights.row(i).head(i + 1).array() *=
        x.decay.segment(i * (i + 1) / 2, i + 1).array().transpose();
    x.weights.row(i).tail(c - i - 1).setZero();
  }
  x.carry = (x.F.array() + m_prev - x.m.array()).matrix();
  exp_in_place(x.carry.data(), c);
  out.noalias() = q * Cn;
  out = x.carry.asDiagonal() * out;
  out.noalias() += x.weights * v;
  normalise(out, x.m, x.floor, eps);
  counts.add("scores", c * (c + 1) / 2 * DK);
  counts.add("intra_output", c * (c + 1) / 2 * (DV + 1));
  counts.add("state_read", c * (DK * DV + DK));
  // 3. The chunk-end state, stabilised by the last token's m.
  const S m_end = x.m(c - 1);
  Cn *= std::exp(x.F(c - 1) + m_prev - m_end);
  x.to_end = x.decay.tail(c);
  x.k_to_end.noalias() = x.to_end.asDiagonal() * k;
  Cn.noalias() += x.k_to_end.transpose() * v;
  counts.add("state_update", c * (DK * DV + DK));
  m_prev = m_end;
}

// One head of the chunkwise form: its gates and state.
template <class S>
struct ChunkHead {
  Head<S> gates;
  Mat<S> Cn;  // [C | n] [DK, DV + 1]
  S m{0};
};

// Rows [t0, t0 + c) of T of `heads` adjacent heads from `first` (the first head's rows): a
// token's rows of the block are one run of heads·cols values, read front to back, into `into`
// [c, heads·width] converted to S and times `factor`; each head's `cols` values take `width`
// columns, a trailing column (width = cols + 1) holding 1. When the heads are split over threads
// the runs are a share of each token's values, which the hardware prefetchers do not follow
// from run to run (the loads ran 2.4 times as long per byte as whole rows), so the run
// kRowsAhead tokens on is asked for while one is copied.
template <class S>
void load_block(const mixers::HeadRows& first, std::int64_t heads, std::int64_t t0, std::int64_t c,
                std::int64_t T, S factor, std::int64_t width, Mat<S>& into) {
  const std::int64_t cols = first.cols;
  into.resize(c, heads * width);
  for (std::int64_t r = 0; r < c; ++r) {
    const double* __restrict src = first.row(t0 + r);
    mixers::prefetch_ahead(src, first.stride, t0 + r + mixers::kRowsAhead < T ? heads * cols : 0);
    S* __restrict dst = into.row(r).data();
    for (std::int64_t h = 0; h < heads; ++h) {
      for (std::int64_t d = 0; d < cols; ++d)
        dst[h * width + d] = static_cast<S>(src[h * cols + d]) * factor;
      if (width > cols) dst[h * width + cols] = S(1);
    }
  }
}

// Head i's [c, width] block of a block of heads side by side.
template <class S>
ConstStridedMap<S> head_block(const Mat<S>& block, std::size_t i, std::int64_t width) {
  return {block.data() + static_cast<std::int64_t>(i) * width, block.rows(), width,
          Eigen::OuterStride<>(block.cols())};
}
template <class S>
StridedMap<S> writable_head_block(Mat<S>& block, std::size_t i, std::int64_t width) {
  return {block.data() + static_cast<std::int64_t>(i) * width, block.rows(), width,
          Eigen::OuterStride<>(block.cols())};
}

// The block's outputs [c, heads·(DV + 1)] (each head's h | denominator) and stabilisers
// [c, heads] to rows [t0, t0 + c) of T of its heads: a token's values of the block are one run
// of the result, written front to back, the run kRowsAhead tokens on asked for meanwhile (see
// load_block).
template <class S>
void store_block(const Mat<S>& out, const Mat<S>& m, std::int64_t t0, std::int64_t T,
                 mixers::HeadOutput o, double* m_first, std::int64_t m_stride) {
  const std::int64_t heads = m.cols(), DV = out.cols() / heads - 1;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const S* __restrict src = out.row(r).data();
    double* __restrict dst = o.row(t0 + r);
    mixers::prefetch_ahead</*kForWrite=*/true>(dst, o.stride,
                                               t0 + r + mixers::kRowsAhead < T ? heads * DV : 0);
    for (std::int64_t h = 0; h < heads; ++h)
      for (std::int64_t e = 0; e < DV; ++e)
        dst[h * DV + e] = static_cast<double>(src[h * (DV + 1) + e]);
    for (std::int64_t h = 0; h < heads; ++h)
      m_first[(t0 + r) * m_stride + h] = static_cast<double>(m(r, h));
  }
}

// The chunkwise form over a block of heads [h0, h0 + heads.size()) of sequence b: each chunk of
// the block's q, k and v loaded at once, then every head's chunk in turn; outputs and stabilisers
// are gathered likewise and stored at once. A head's arithmetic does not depend on its neighbours.
template <class S>
void chunkwise(std::vector<ChunkHead<S>>& heads, const Inputs& in, std::int64_t b, std::int64_t h0,
               std::int64_t chunk_size, double scale, double eps, Result& result,
               OpCounts& counts) {
  const std::int64_t T = in.q.dim(1), NH = in.q.dim(2), DK = in.q.dim(3), DV = in.v.dim(3);
  const auto n = static_cast<std::int64_t>(heads.size());
  const mixers::HeadRows q_rows = mixers::head_rows(in.q, b, h0),
                         k_rows = mixers::head_rows(in.k, b, h0),
                         v_rows = mixers::head_rows(in.v, b, h0);
  Mat<S> q, k, v;  // [c, n·DK] (scaled by s), [c, n·DK], [c, n·(DV + 1)]: each head's [v | 1]
  Mat<S> out, m;   // [c, n·(DV + 1)]: each head's h | denominator; [c, n]
  ChunkBuffers<S> x;
  for (std::int64_t start = 0; start < T; start += chunk_size) {
    const std::int64_t c = std::min(chunk_size, T - start);
    load_block(q_rows, n, start, c, T, static_cast<S>(scale), DK, q);
    load_block(k_rows, n, start, c, T, S(1), DK, k);
    load_block(v_rows, n, start, c, T, S(1), DV + 1, v);
    out.resize(c, n * (DV + 1));
    m.resize(c, n);
    for (std::size_t i = 0; i < heads.size(); ++i) {
      ChunkHead<S>& head = heads[i];
      chunk_step(head.gates, start, head_block(q, i, DK), head_block(k, i, DK),
                 head_block(v, i, DV + 1), writable_head_block(out, i, DV + 1), x, head.Cn, head.m,
                 eps, counts);
      m.col(static_cast<Eigen::Index>(i)) = x.m;
    }
    store_block(out, m, start, T, mixers::head_output(result.o, b, h0),
                result.m.data.data() + b * T * NH + h0, NH);
  }
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1), NH = sh.NH, DK = sh.DK, DV = sh.DV;
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(DK)));
  Result result;
  result.o = Tensor({B, T, NH, DV});
  result.final_state = in.initial_state.empty() ? Tensor({B, NH, DK, DV}) : in.initial_state;
  result.final_n = in.initial_n.empty() ? Tensor({B, NH, DK}) : in.initial_n;
  result.final_m = in.initial_m.empty() ? Tensor({B, NH}) : in.initial_m;
  result.m = Tensor({B, T, NH});
  const auto gates_of = [&](std::int64_t b, std::int64_t h) {
    Head<S> x;
    x.i_gate.resize(static_cast<std::size_t>(T));
    x.log_f.resize(static_cast<std::size_t>(T));
    for (std::int64_t t = 0; t < T; ++t) {
      const auto gate = static_cast<std::size_t>((b * T + t) * NH + h);
      x.i_gate[static_cast<std::size_t>(t)] = static_cast<S>(in.i_preact[gate]);
      x.log_f[static_cast<std::size_t>(t)] = static_cast<S>(in.f_preact[gate]);
    }
    gates_in_place(options.gate_soft_cap, x.i_gate, x.log_f);
    return x;
  };
  if (options.form == Form::chunkwise) {
    mixers::for_each_head_block(
        B, NH, result.counts,
        [&](std::int64_t b, std::int64_t h0, std::int64_t h1, OpCounts& counts) {
          std::vector<ChunkHead<S>> heads;
          for (std::int64_t h = h0; h < h1; ++h) {
            const std::int64_t task = b * NH + h;
            ChunkHead<S> head{gates_of(b, h), Mat<S>(DK, DV + 1),
                              static_cast<S>(result.final_m[static_cast<std::size_t>(task)])};
            head.Cn.leftCols(DV) = Eigen::Map<const Mat<double>>(
                                       result.final_state.data.data() + task * DK * DV, DK, DV)
                                       .template cast<S>();
            head.Cn.col(DV) =
                Eigen::Map<const Vec<double>>(result.final_n.data.data() + task * DK, DK)
                    .template cast<S>();
            heads.push_back(std::move(head));
          }
          chunkwise(heads, in, b, h0, options.chunk_size, scale, options.eps, result, counts);
          for (std::int64_t h = h0; h < h1; ++h) {
            const std::int64_t task = b * NH + h;
            const ChunkHead<S>& head = heads[static_cast<std::size_t>(h - h0)];
            Eigen::Map<Mat<double>>(result.final_state.data.data() + task * DK * DV, DK, DV) =
                head.Cn.leftCols(DV).template cast<double>();
            Eigen::Map<Vec<double>>(result.final_n.data.data() + task * DK, DK) =
                head.Cn.col(DV).template cast<double>();
            result.final_m[static_cast<std::size_t>(task)] = static_cast<double>(head.m);
          }
        });
  } else {
    mixers::parallel_for_counted(B * NH, result.counts, [&](std::int64_t task, OpCounts& counts) {
      const std::int64_t b = task / NH, h = task % NH;
      Head<S> x = gates_of(b, h);
      x.q = mixers::gather_head<S>(in.q, b, h);
      x.k = mixers::gather_head<S>(in.k, b, h);
      x.v = mixers::gather_head<S>(in.v, b, h);
      for (S& value : x.q.data) value *= static_cast<S>(scale);
      State<S> st{mixers::gather_matrix<S>(result.final_state, task, DK, DV),
                  std::vector<S>(static_cast<std::size_t>(DK)),
                  static_cast<S>(result.final_m[static_cast<std::size_t>(task)])};
      for (std::int64_t d = 0; d < DK; ++d)
        st.n[static_cast<std::size_t>(d)] =
            static_cast<S>(result.final_n[static_cast<std::size_t>(task * DK + d)]);
      HeadMatrix<S> o(T, DV);
      std::vector<S> m(static_cast<std::size_t>(T));
      if (options.form == Form::recurrent) {
        recurrent(x, st, o, m, options.eps, counts);
      } else if (T > 0) {
        chunk(x, 0, T, st, o, m, options.eps, counts);  // parallel: one chunk of T
      }
      mixers::scatter_head(o, result.o, b, h);
      for (std::int64_t t = 0; t < T; ++t)
        result.m[static_cast<std::size_t>((b * T + t) * NH + h)] =
            static_cast<double>(m[static_cast<std::size_t>(t)]);
      mixers::scatter_matrix(st.C, result.final_state, task);
      for (std::int64_t d = 0; d < DK; ++d)
        result.final_n[static_cast<std::size_t>(task * DK + d)] =
            static_cast<double>(st.n[static_cast<std::size_t>(d)]);
      result.final_m[static_cast<std::size_t>(task)] = static_cast<double>(st.m);
    });
  }
  result.final_state_unstabilized = result.final_state;
  result.final_n_unstabilized = result.final_n;
  for (std::int64_t task = 0; task < B * NH; ++task) {
    const double grow = std::exp(result.final_m[static_cast<std::size_t>(task)]);
    for (std::int64_t i = 0; i < DK * DV; ++i)
      result.final_state_unstabilized[static_cast<std::size_t>(task * DK * DV + i)] *= grow;
    for (std::int64_t d = 0; d < DK; ++d)
      result.final_n_unstabilized[static_cast<std::size_t>(task * DK + d)] *= grow;
  }
  result.state_elements = B * state_elements(sh);
  return result;
}

}  // namespace

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::mlstm
