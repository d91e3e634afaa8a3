// mLSTM (mixers-spec-recurrent §14), per (sequence, head): the soft-capped gates, then either the
// stabilised recurrence token by token, or chunks in which every token's stabiliser is
// m_t = max(F_t + m_prev, max_{j≤t}(F_t − F_j + ĩ_j)) (F the chunk-local cumulative log forget
// gate), the same m the recurrence produces; the parallel form is one chunk of T.
#include "mixers/mlstm/reference.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"

namespace attnsim::mlstm {
namespace {

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

// log σ(x) = −softplus(−x), without overflow.
template <class S>
S log_sigmoid(S x) {
  return x >= S{0} ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
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

// One chunk of c tokens from `start`.
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
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1), NH = sh.NH, DK = sh.DK, DV = sh.DV;
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(DK)));
  Result result;
  result.o = Tensor({B, T, NH, DV});
  result.final_state = in.initial_state.empty() ? Tensor({B, NH, DK, DV}) : in.initial_state;
  result.final_n = in.initial_n.empty() ? Tensor({B, NH, DK}) : in.initial_n;
  result.final_m = in.initial_m.empty() ? Tensor({B, NH}) : in.initial_m;
  result.m = Tensor({B, T, NH});
  const auto cap = [&](double x) {
    return options.gate_soft_cap ? *options.gate_soft_cap * std::tanh(x / *options.gate_soft_cap)
                                 : x;
  };
  mixers::parallel_for_counted(B * NH, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / NH, h = task % NH;
    Head<S> x{mixers::gather_head<S>(in.q, b, h), mixers::gather_head<S>(in.k, b, h),
              mixers::gather_head<S>(in.v, b, h), std::vector<S>(static_cast<std::size_t>(T)),
              std::vector<S>(static_cast<std::size_t>(T))};
    for (S& value : x.q.data) value *= static_cast<S>(scale);
    for (std::int64_t t = 0; t < T; ++t) {
      const auto gate = static_cast<std::size_t>((b * T + t) * NH + h);
      x.i_gate[static_cast<std::size_t>(t)] = static_cast<S>(cap(in.i_preact[gate]));
      x.log_f[static_cast<std::size_t>(t)] = log_sigmoid(static_cast<S>(cap(in.f_preact[gate])));
    }
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
    } else {
      const std::int64_t C =
          options.form == Form::parallel ? std::max<std::int64_t>(T, 1) : options.chunk_size;
      for (std::int64_t start = 0; start < T; start += C)
        chunk(x, start, std::min(C, T - start), st, o, m, options.eps, counts);
    }
    mixers::scatter_head(o, result.o, b, h);
    mixers::scatter_matrix(st.C, result.final_state, task);
    for (std::int64_t d = 0; d < DK; ++d)
      result.final_n[static_cast<std::size_t>(task * DK + d)] =
          static_cast<double>(st.n[static_cast<std::size_t>(d)]);
    result.final_m[static_cast<std::size_t>(task)] = static_cast<double>(st.m);
    for (std::int64_t t = 0; t < T; ++t)
      result.m[static_cast<std::size_t>((b * T + t) * NH + h)] =
          static_cast<double>(m[static_cast<std::size_t>(t)]);
  });
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
