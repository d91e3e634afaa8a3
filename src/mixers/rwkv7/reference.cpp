// RWKV-7 WKV7 (mixers-spec-recurrent §13), per (sequence, head): the recurrence token by token,
// or chunks whose intra-chunk terms carry pairwise decays e^{G_i − G_j} (later − earlier ≤ 0, so
// no overflow for strong decays) and a unit-lower-triangular solve for u_i = a_iᵀ S_{i−1}.
#include "mixers/rwkv7/reference.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"

namespace attnsim::rwkv7 {
namespace {

using mixers::HeadMatrix;

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.r.shape, 4, "r", "[B, T, H, K]");
  require_rank(in.v.shape, 4, "v", "[B, T, H, V]");
  const std::int64_t B = in.r.dim(0), T = in.r.dim(1);
  const Shapes sh{in.r.dim(2), in.r.dim(3), in.v.dim(3)};
  for (const auto& [tensor, name] :
       {std::pair{&in.g, "g"}, std::pair{&in.k, "k"}, std::pair{&in.a, "a"}, std::pair{&in.b, "b"}})
    require_shape(tensor->shape, {B, T, sh.H, sh.K}, name, "B,T,H,K");
  require_shape(in.v.shape, {B, T, sh.H, sh.V}, "v", "B,T,H,V");
  if (!in.initial_state.empty())
    require_shape(in.initial_state.shape, {B, sh.H, sh.K, sh.V}, "initial_state", "B,H,K,V");
  if (options.chunk_size < 1)
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  return sh;
}

template <class S>
struct Head {
  HeadMatrix<S> r, g, k, v, a, b;  // [T, K] (v: [T, V])
};

// sa = aᵀS; S ← diag(e^g) S + b saᵀ + k vᵀ; o = Sᵀ r.
template <class S>
HeadMatrix<S> recurrent(const Head<S>& x, HeadMatrix<S>& state, OpCounts& counts) {
  const std::int64_t T = x.r.rows, K = state.rows, V = state.cols;
  HeadMatrix<S> o(T, V);
  std::vector<S> sa(static_cast<std::size_t>(V));
  for (std::int64_t t = 0; t < T; ++t) {
    std::fill(sa.begin(), sa.end(), S{0});
    for (std::int64_t i = 0; i < K; ++i)
      for (std::int64_t j = 0; j < V; ++j)
        sa[static_cast<std::size_t>(j)] += x.a.at(t, i) * state.at(i, j);
    for (std::int64_t i = 0; i < K; ++i) {
      const S decay = std::exp(x.g.at(t, i));
      for (std::int64_t j = 0; j < V; ++j)
        state.at(i, j) = decay * state.at(i, j) + x.b.at(t, i) * sa[static_cast<std::size_t>(j)] +
                         x.k.at(t, i) * x.v.at(t, j);
    }
    for (std::int64_t i = 0; i < K; ++i)
      for (std::int64_t j = 0; j < V; ++j) o.at(t, j) += state.at(i, j) * x.r.at(t, i);
  }
  counts.add("state_read", T * K * V);
  counts.add("state_update", 2 * T * K * V);
  counts.add("readout", T * K * V);
  return o;
}

// One chunk of c tokens from `start` (mixers-spec-recurrent §13 "Chunked form"), with G the
// inclusive and G' = G − g the exclusive cumulative decay:
//   u_i = (a_i ⊙ e^{G'_i})ᵀ S₀ + Σ_{j<i} A_ak[i,j] v_j + Σ_{j<i} A_ab[i,j] u_j
//   o_i = (r_i ⊙ e^{G_i})ᵀ S₀ + Σ_{j≤i} A_rk[i,j] v_j + A_rb[i,j] u_j
//   S   = e^{G_c} ⊙ S₀ + Σ_j (e^{G_c − G_j} ⊙ k_j) v_jᵀ + (e^{G_c − G_j} ⊙ b_j) u_jᵀ
template <class S>
void chunk(const Head<S>& x, std::int64_t start, std::int64_t c, HeadMatrix<S>& state,
           HeadMatrix<S>& o, OpCounts& counts) {
  const std::int64_t K = state.rows, V = state.cols;
  HeadMatrix<S> G(c, K), Gx(c, K);  // inclusive, exclusive
  for (std::int64_t d = 0; d < K; ++d) {
    S sum{0};
    for (std::int64_t i = 0; i < c; ++i) {
      Gx.at(i, d) = sum;
      sum += x.g.at(start + i, d);
      G.at(i, d) = sum;
    }
  }
  // 1. Intra-chunk matrices (pairwise decays).
  HeadMatrix<S> A_ab(c, c), A_ak(c, c), A_rb(c, c), A_rk(c, c);
  for (std::int64_t i = 0; i < c; ++i) {
    for (std::int64_t j = 0; j <= i; ++j) {
      for (std::int64_t d = 0; d < K; ++d) {
        const S to_i = std::exp(G.at(i, d) - G.at(j, d));
        A_rb.at(i, j) += x.r.at(start + i, d) * x.b.at(start + j, d) * to_i;
        A_rk.at(i, j) += x.r.at(start + i, d) * x.k.at(start + j, d) * to_i;
        if (j < i) {
          const S to_before_i = std::exp(Gx.at(i, d) - G.at(j, d));
          A_ab.at(i, j) += x.a.at(start + i, d) * x.b.at(start + j, d) * to_before_i;
          A_ak.at(i, j) += x.a.at(start + i, d) * x.k.at(start + j, d) * to_before_i;
        }
      }
    }
  }
  counts.add("intra_scores", 2 * c * c * K);
  // 2. Forward substitution for U (rows u_i = a_iᵀ S_{i−1}), then the outputs.
  HeadMatrix<S> U(c, V);
  for (std::int64_t i = 0; i < c; ++i) {
    for (std::int64_t d = 0; d < K; ++d) {
      const S ad = x.a.at(start + i, d) * std::exp(Gx.at(i, d));
      const S rd = x.r.at(start + i, d) * std::exp(G.at(i, d));
      for (std::int64_t e = 0; e < V; ++e) {
        U.at(i, e) += ad * state.at(d, e);
        o.at(start + i, e) += rd * state.at(d, e);
      }
    }
    for (std::int64_t j = 0; j < i; ++j)
      for (std::int64_t e = 0; e < V; ++e)
        U.at(i, e) += A_ak.at(i, j) * x.v.at(start + j, e) + A_ab.at(i, j) * U.at(j, e);
    for (std::int64_t j = 0; j <= i; ++j)
      for (std::int64_t e = 0; e < V; ++e)
        o.at(start + i, e) += A_rk.at(i, j) * x.v.at(start + j, e) + A_rb.at(i, j) * U.at(j, e);
  }
  counts.add("state_read", 2 * c * K * V);
  counts.add("solve", c * (c - 1) * V);
  counts.add("intra_output", c * (c + 1) * V);
  // 3. The state at the chunk end.
  for (std::int64_t d = 0; d < K; ++d) {
    const S last = G.at(c - 1, d);
    for (std::int64_t e = 0; e < V; ++e) state.at(d, e) *= std::exp(last);
    for (std::int64_t j = 0; j < c; ++j) {
      const S decay = std::exp(last - G.at(j, d));
      const S kd = decay * x.k.at(start + j, d), bd = decay * x.b.at(start + j, d);
      for (std::int64_t e = 0; e < V; ++e)
        state.at(d, e) += kd * x.v.at(start + j, e) + bd * U.at(j, e);
    }
  }
  counts.add("state_update", 2 * c * K * V);
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.r.dim(0), T = in.r.dim(1);
  Result result;
  result.o = Tensor({B, T, sh.H, sh.V});
  result.final_state = in.initial_state.empty() ? Tensor({B, sh.H, sh.K, sh.V}) : in.initial_state;
  mixers::parallel_for_counted(B * sh.H, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / sh.H, h = task % sh.H;
    const Head<S> x{mixers::gather_head<S>(in.r, b, h), mixers::gather_head<S>(in.g, b, h),
                    mixers::gather_head<S>(in.k, b, h), mixers::gather_head<S>(in.v, b, h),
                    mixers::gather_head<S>(in.a, b, h), mixers::gather_head<S>(in.b, b, h)};
    HeadMatrix<S> state = mixers::gather_matrix<S>(result.final_state, task, sh.K, sh.V);
    HeadMatrix<S> o(T, sh.V);
    if (options.form == Form::recurrent) {
      o = recurrent(x, state, counts);
    } else {
      for (std::int64_t start = 0; start < T; start += options.chunk_size)
        chunk(x, start, std::min(options.chunk_size, T - start), state, o, counts);
    }
    mixers::scatter_head(o, result.o, b, h);
    mixers::scatter_matrix(state, result.final_state, task);
  });
  result.state_elements = B * state_elements(sh);
  return result;
}

}  // namespace

void set_a_b_from_kk_iclr(Inputs& inputs, const Tensor& kk, const Tensor& iclr) {
  require_shape(iclr.shape, kk.shape, "iclr", "the shape of kk");
  inputs.a = kk;
  inputs.b = kk;
  for (std::size_t i = 0; i < kk.size(); ++i) {
    inputs.a[i] = -kk[i];
    inputs.b[i] = kk[i] * iclr[i];
  }
}

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::rwkv7
