// RWKV-7 WKV7 (mixers-spec-recurrent §13), per (sequence, head): the recurrence token by token,
// or chunks whose intra-chunk terms carry pairwise decays e^{G_i − G_j} (split per row block so
// that no factor overflows for strong decays) and a unit-lower-triangular solve for
// u_i = a_iᵀ S_{i−1}, all as per-chunk BLAS products.
#include "mixers/rwkv7/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "mixers/common/avx2.h"
#include "mixers/common/decay_blocks.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"
#include "mixers/common/scalar_decay.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::rwkv7 {
namespace {

using mixers::exp_in_place;
using mixers::HeadMatrix;

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.r.shape, 4, "r", "[B, T, H, K]");
  require_rank(in.v.shape, 4, "v", "[B, T, H, V]");
  const std::int64_t B = in.r.dim(0), T = in.r.dim(1);
  const Shapes sh{in.r.dim(2), in.r.dim(3), in.v.dim(3)};
  using Named = std::pair<const Tensor*, const char*>;
  const bool from_kk = in.a.empty() && in.b.empty();  // then kk and iclr
  for (const auto& [tensor, name] :
       {Named{&in.g, "g"}, Named{&in.k, "k"}, from_kk ? Named{&in.kk, "kk"} : Named{&in.a, "a"},
        from_kk ? Named{&in.iclr, "iclr"} : Named{&in.b, "b"}})
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

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A chunk's buffers, kept from chunk to chunk (the last chunk may be shorter).
template <class S>
struct ChunkBuffers {
  Mat<S> r, g, k, v, a, b;                        // [c, K] ([c, V] for v)
  Mat<S> G;                                       // inclusive cumulative decays [c, K]
  Mat<S> E;                                       // a row block's e^{G − ref} [n, K]
  Eigen::Matrix<S, 1, Eigen::Dynamic> reference;  // its ref [1, K]
  Mat<S> to, from, products;  // a block's [r̃; ã] [2n, K], [b̃; k̃] [2·seen, K], their product
  Mat<S> A_b, A_k;            // [A_ab; A_rb], [A_ak; A_rk] [2c, c]
  Mat<S> decayed;             // [ã; r̃] = [a ⊙ e^{G'}; r ⊙ e^G] [2c, K]
  Mat<S> to_state;            // [k; b] ⊙ e^{G_c − G} [2c, K]
  Mat<S> read, kv, vu;        // [2c, V]
  Mat<S> solve;               // [c, c]
  Eigen::Matrix<S, 1, Eigen::Dynamic> to_end;  // e^{G_c} [1, K]
};

// The products of a block of rows [r, r + n) with the first `seen` rows of the chunk: `to`
// [ã; r̃] of the block's rows [2n, K] times `from` [b̃; k̃] of rows j < seen [2·seen, K]
// (transposed) into A_ab, A_ak (ã rows) and A_rb, A_rk (r̃ rows).
template <class S>
void block_products(std::int64_t c, std::int64_t r, std::int64_t n, std::int64_t seen,
                    const Mat<S>& to, const Mat<S>& from, ChunkBuffers<S>& x) {
  x.products.noalias() = to * from.transpose();
  x.A_b.block(r, 0, n, seen) = x.products.block(0, 0, n, seen);         // A_ab
  x.A_k.block(r, 0, n, seen) = x.products.block(0, seen, n, seen);      // A_ak
  x.A_b.block(c + r, 0, n, seen) = x.products.block(n, 0, n, seen);     // A_rb
  x.A_k.block(c + r, 0, n, seen) = x.products.block(n, seen, n, seen);  // A_rk
}

// The first block's products (rows [0, n), n ≤ c, reference 0): `to` [ã; r̃] [2n, K] times
// `from` [b̃; k̃] [2n, K] with its rows in the order [b̃; k̃] of rows [0, h), then of rows
// [h, n) (h = n/2). Row i reads columns j ≤ i only, so the upper right quarters (rows before h,
// columns from h on) are skipped: all rows against the first h keys, then each half's last rows
// against the last keys; three BLAS calls, 3/4 of the full product's multiply-adds (as the
// delta rule's lower_pair_products). Those quarters of A_b and A_k are left as they are.
template <class S>
void first_block_products(std::int64_t c, std::int64_t n, const Mat<S>& to, const Mat<S>& from,
                          ChunkBuffers<S>& x) {
  const std::int64_t h = n / 2, rest = n - h;
  x.products.noalias() = to * from.topRows(2 * h).transpose();
  for (const auto& [source, target] : {std::pair{std::int64_t{0}, std::int64_t{0}}, {n, c}}) {
    x.A_b.block(target, 0, n, h) = x.products.block(source, 0, n, h);
    x.A_k.block(target, 0, n, h) = x.products.block(source, h, n, h);
  }
  for (const auto& [source, target] : {std::pair{std::int64_t{0}, std::int64_t{0}}, {n, c}}) {
    x.products.noalias() = to.middleRows(source + h, rest) * from.bottomRows(2 * rest).transpose();
    x.A_b.block(target + h, h, rest, rest) = x.products.leftCols(rest);
    x.A_k.block(target + h, h, rest, rest) = x.products.rightCols(rest);
  }
}

// Keeps j < i for A_ab and A_ak, j ≤ i for A_rb and A_rk (the products fill whole blocks).
template <class S>
void keep_lower_triangles(std::int64_t c, ChunkBuffers<S>& x) {
  for (std::int64_t i = 0; i < c; ++i) {
    x.A_b.row(i).tail(c - i).setZero();
    x.A_k.row(i).tail(c - i).setZero();
    x.A_b.row(c + i).tail(c - i - 1).setZero();
    x.A_k.row(c + i).tail(c - i - 1).setZero();
  }
}

// The spread of decay a row block may span: safe_spread for float64 (e^{±200}); for float32
// e^{±40} rather than safe_spread's e^{±20}, still 21 decades inside float32's range (a
// product's entries above the diagonal, never read, stay below e^{40}·K·|a||b|), so that a
// chunk of 64 with trained decays (at most 0.61 a step, 38.8 over the chunk) is one block. Each
// term of a product is its exact value times (1 + a few ulp) however large its factors.
template <class S>
constexpr S block_spread() {
  return std::is_same_v<S, float> ? S(40) : mixers::safe_spread<S>();
}

// The four intra-chunk matrices as products, in blocks of rows [r, r + n) against a reference
// decay ref = G_{r−1} (0 for the first block): for rows i of the block and j ≤ i,
//   e^{G_i − G_j} = e^{G_i − ref}·e^{ref − G_j},  e^{G'_i − G_j} = e^{G'_i − ref}·e^{ref − G_j},
// so one product [a ⊙ e^{G' − ref}; r ⊙ e^{G − ref}]·[b ⊙ e^{ref − G}; k ⊙ e^{ref − G}]ᵀ gives
// all four for the block's rows. With g ≤ 0 the first factors are ≤ 1 and so is the second for
// j < r; for j in the block it grows up to e^{spread}, spread = max over the block's rows and
// channels of ref − G_j, which a block keeps within block_spread (no overflow, far from the type's
// range), so the terms are as accurate as one exp per (i, j, d). One exp per (i, d) of the block,
// E_i = e^{G_i − ref}, gives e^{G'_i − ref} = E_{i−1} (1 for i = r) and, within the block,
// e^{ref − G_i} = 1 / E_i (E_i ≥ e^{−block_spread}); rows before it have their own exps. A row
// whose own decay exceeds block_spread is a block alone: its pairs with earlier rows through the
// product (both factors ≤ 1), its diagonal (decay ratio 1) directly. (As the KDA chunked form in
// mixers/common/delta_rule.cpp; one_block_factors does a chunk that is one block.)
template <class S>
void intra_matrices(std::int64_t c, ChunkBuffers<S>& x) {
  const std::int64_t K = x.r.cols();
  x.A_b.setZero(2 * c, c);
  x.A_k.setZero(2 * c, c);
  for (std::int64_t r = 0; r < c;) {
    if (r == 0)
      x.reference.setZero(K);
    else
      x.reference = x.G.row(r - 1);
    std::int64_t n = mixers::rows_within_spread(x.G, r, block_spread<S>());
    const bool alone = n == 0;
    if (alone) n = 1;
    const std::int64_t seen = alone ? r : r + n;  // columns j done by the product
    if (seen > 0) {
      x.E = x.G.middleRows(r, n).rowwise() - x.reference;
      exp_in_place(x.E.data(), x.E.size());
      x.to.resize(2 * n, K);
      x.to.row(0) = x.a.row(r);
      x.to.middleRows(1, n - 1) =
          (x.a.middleRows(r + 1, n - 1).array() * x.E.topRows(n - 1).array()).matrix();
      x.to.bottomRows(n) = (x.r.middleRows(r, n).array() * x.E.array()).matrix();
      x.from.resize(2 * seen, K);
      if (r == 0) {  // [b̃; k̃] of rows [0, h), then of rows [h, n), each 1 / E times b or k
        const std::int64_t h = n / 2;
        for (const auto& [first, count] : {std::pair{std::int64_t{0}, h}, {h, n - h}}) {
          auto b_tilde = x.from.middleRows(2 * first, count);
          b_tilde = x.E.middleRows(first, count).cwiseInverse();
          x.from.middleRows(2 * first + count, count) =
              (b_tilde.array() * x.k.middleRows(first, count).array()).matrix();
          b_tilde.array() *= x.b.middleRows(first, count).array();
        }
        first_block_products(c, n, x.to, x.from, x);
      } else {
        auto decay = x.from.topRows(seen);  // e^{ref − G_j}, then times b
        decay.topRows(r) = (-x.G.topRows(r)).rowwise() + x.reference;
        exp_in_place(decay.data(), r * K);
        decay.bottomRows(seen - r) = x.E.topRows(seen - r).cwiseInverse();
        x.from.bottomRows(seen) = (decay.array() * x.k.topRows(seen).array()).matrix();
        decay.array() *= x.b.topRows(seen).array();
        block_products(c, r, n, seen, x.to, x.from, x);
      }
    }
    if (alone) {
      x.A_b(c + r, r) = x.r.row(r).dot(x.b.row(r));
      x.A_k(c + r, r) = x.r.row(r).dot(x.k.row(r));
    }
    r += n;
  }
  keep_lower_triangles(c, x);
}

// A one-block chunk's factors from E = e^G [c, K] (row-major [c, K] arrays, plain loops that
// run at AVX2 width where the CPU has it, see one_block_factors):
//   ã_i = a_i ⊙ E_{i−1} (E_{−1} = 1, as e^{G'_i} = e^{G_{i−1}}),  r̃_i = r_i ⊙ E_i,
//   b̃_j = b_j ⊙ E_j^{−1},  k̃_j = k_j ⊙ E_j^{−1},
//   [k; b]_j ⊙ e^{G_c − G_j} = E_c ⊙ [k̃_j; b̃_j],
// with e^{−G} as 1 / e^G (e^G ≥ e^{−block_spread}, far from underflow). One exp per (i, d)
// instead of one for each factor. The pointers are restrict-qualified (none overlaps), so that
// the loops vectorise.
template <class S>
struct FactorRows {
  const S *E, *r, *a, *b, *k;
  // [ã; r̃], [b̃; k̃] (rows in one_block_factors' order), [k; b] ⊙ e^{G_c − G}, each [2c, K]
  S *decayed, *from, *to_state;
  std::int64_t c, K;
};

template <class S>
[[gnu::always_inline]] inline void factor_rows(const FactorRows<S>& x) {
  const std::int64_t K = x.K, half = x.c * K;  // the second half of each [2c, K] array
  const std::int64_t h = x.c / 2, rest = x.c - h;
  const S* __restrict last = x.E + (x.c - 1) * K;
  for (std::int64_t row = 0; row < x.c; ++row) {
    const std::int64_t i = row * K;
    const S* __restrict e = x.E + i;
    const S* __restrict r = x.r + i;
    const S* __restrict b = x.b + i;
    const S* __restrict k = x.k + i;
    S* __restrict r_tilde = x.decayed + half + i;
    S* __restrict b_tilde = x.from + (row < h ? row : h + row) * K;
    S* __restrict k_tilde = x.from + (row < h ? h + row : h + rest + row) * K;
    S* __restrict k_end = x.to_state + i;
    S* __restrict b_end = x.to_state + half + i;
    for (std::int64_t d = 0; d < K; ++d) {
      r_tilde[d] = r[d] * e[d];
      const S inverse = S(1) / e[d];
      const S b_from = b[d] * inverse, k_from = k[d] * inverse;
      b_tilde[d] = b_from;
      k_tilde[d] = k_from;
      k_end[d] = last[d] * k_from;
      b_end[d] = last[d] * b_from;
    }
    const S* __restrict a = x.a + i;
    S* __restrict a_tilde = x.decayed + i;
    if (row == 0)
      for (std::int64_t d = 0; d < K; ++d) a_tilde[d] = a[d];
    else
      for (std::int64_t d = 0; d < K; ++d) a_tilde[d] = a[d] * e[d - K];
  }
}

#if defined(ATTNSIM_AVX2_LOOPS)
// Without FMA each product and quotient rounds as in the SSE2 loop: the same bits on any machine.
template <class S>
__attribute__((target("avx2"))) void factor_rows_avx2(const FactorRows<S>& x) {
  factor_rows(x);
}
#endif

// A chunk that is one block (its decay within block_spread from 0, reference 0): e^G in place of
// G (the chunk's one exp pass), every factor of the chunk from it (factor_rows), and the four
// intra matrices as products [ã; r̃]·[b̃; k̃]ᵀ.
template <class S>
void one_block_factors(std::int64_t c, ChunkBuffers<S>& x) {
  const std::int64_t K = x.G.cols();
  exp_in_place(x.G.data(), c * K);  // G becomes E = e^G
  x.decayed.resize(2 * c, K);
  x.from.resize(2 * c, K);
  x.to_state.resize(2 * c, K);
  const FactorRows<S> rows{
      x.G.data(),       x.r.data(),    x.a.data(),        x.b.data(), x.k.data(),
      x.decayed.data(), x.from.data(), x.to_state.data(), c,          K};
#if defined(ATTNSIM_AVX2_LOOPS)
  if (mixers::cpu_has_avx2())
    factor_rows_avx2(rows);
  else
#endif
    factor_rows(rows);
  x.to_end = x.G.row(c - 1);
  x.A_b.setZero(2 * c, c);
  x.A_k.setZero(2 * c, c);
  first_block_products(c, c, x.decayed, x.from, x);
  keep_lower_triangles(c, x);
}

// A chunk of several blocks (intra_matrices), its start-state and state-update factors from
// exps of their own: e^G, which also gives e^{G'_i} = e^{G_{i−1}}, and e^{G_c − G}.
template <class S>
void blockwise_factors(std::int64_t c, ChunkBuffers<S>& x) {
  const std::int64_t K = x.G.cols();
  intra_matrices(c, x);
  x.decayed.resize(2 * c, K);
  auto growth = x.decayed.bottomRows(c);  // e^G, then times r
  growth = x.G;
  exp_in_place(growth.data(), c * K);
  x.to_end = growth.row(c - 1);
  x.decayed.row(0) = x.a.row(0);
  x.decayed.middleRows(1, c - 1) =
      (x.a.bottomRows(c - 1).array() * growth.topRows(c - 1).array()).matrix();
  growth.array() *= x.r.array();
  x.to_state.resize(2 * c, K);
  x.to_state.topRows(c) = (-x.G).rowwise() + x.G.row(c - 1);
  exp_in_place(x.to_state.data(), c * K);
  x.to_state.bottomRows(c) = (x.to_state.topRows(c).array() * x.b.array()).matrix();
  x.to_state.topRows(c).array() *= x.k.array();
}

// One chunk of c tokens loaded in x (mixers-spec-recurrent §13 "Chunked form"), with G the
// inclusive and G' = G − g the exclusive cumulative decay, as products:
//   [Ã; R̃] = [a ⊙ e^{G'}; r ⊙ e^{G}],  read = [Ã; R̃] S₀
//   (I − A_ab) U = Ã S₀ + A_ak V                     (unit-lower-triangular solve)
//   O = R̃ S₀ + A_rk V + A_rb U
//   S = e^{G_c} ⊙ S₀ + [k ⊙ e^{G_c − G}; b ⊙ e^{G_c − G}]ᵀ [V; U]
// Leaves O in x.kv's bottom rows.
template <class S>
void chunk_step(std::int64_t c, ChunkBuffers<S>& x, Mat<S>& state, OpCounts& counts) {
  const std::int64_t K = state.rows(), V = state.cols();
  x.G.resize(c, K);  // row by row, the same sums per channel as a running total
  x.G.row(0) = x.g.row(0);
  for (std::int64_t i = 1; i < c; ++i) x.G.row(i) = x.G.row(i - 1) + x.g.row(i);
  // 1. Intra-chunk matrices (pairwise decays) and the factors of the start state's share and
  // of the state update.
  if (mixers::rows_within_spread(x.G, 0, block_spread<S>()) == c)
    one_block_factors(c, x);
  else
    blockwise_factors(c, x);
  counts.add("intra_scores", 2 * c * c * K);
  // 2. The start state's share, then U by forward substitution, then the outputs.
  x.read.noalias() = x.decayed * state;
  // [A_ak V; A_rk V], and below A_rb U, skip the upper right quarter of each c-row half (its
  // first h rows are 0 from column h on): 3/4 of the multiply-adds, still in BLAS.
  const std::int64_t h = c / 2, rest = c - h;
  x.kv.noalias() = x.A_k.leftCols(h) * x.v.topRows(h);
  for (const std::int64_t half : {std::int64_t{0}, c})
    x.kv.middleRows(half + h, rest).noalias() +=
        x.A_k.block(half + h, h, rest, rest) * x.v.bottomRows(rest);
  x.vu.resize(2 * c, V);
  x.vu.topRows(c) = x.v;
  auto U = x.vu.bottomRows(c);
  U = x.read.topRows(c) + x.kv.topRows(c);
  x.solve = -x.A_b.topRows(c);  // the unit diagonal is implied
  x.solve.template triangularView<Eigen::UnitLower>().solveInPlace(U);
  x.kv.bottomRows(c) += x.read.bottomRows(c);
  x.kv.bottomRows(c).noalias() += x.A_b.block(c, 0, c, h) * U.topRows(h);
  x.kv.bottomRows(rest).noalias() += x.A_b.block(c + h, h, rest, rest) * U.bottomRows(rest);
  counts.add("state_read", 2 * c * K * V);
  counts.add("solve", c * (c - 1) * V);
  counts.add("intra_output", c * (c + 1) * V);
  // 3. The state at the chunk end.
  state = x.to_end.transpose().asDiagonal() * state;
  state.noalias() += x.to_state.transpose() * x.vu;
  counts.add("state_update", 2 * c * K * V);
}

// Rows [t0, t0 + c) of a head into `into`, sized [c, cols] here (mixers::load_head_rows).
template <class S>
void load_rows(const mixers::HeadRows& rows, std::int64_t t0, std::int64_t c, Mat<S>& into,
               const double* ahead, std::int64_t c_ahead, const double* ahead_out = nullptr) {
  into.resize(c, rows.cols);
  mixers::load_head_rows(rows, t0, c, S(1), into, ahead, c_ahead, ahead_out);
}

// a = −kk and b = kk ⊙ iclr (in float64, as set_a_b_from_kk_iclr) for rows [t0, t0 + c), as
// load_rows loads them.
template <class S>
void load_a_b(const mixers::HeadRows& kk, const mixers::HeadRows& iclr, std::int64_t t0,
              std::int64_t c, Mat<S>& a, Mat<S>& b, const double* kk_ahead,
              const double* iclr_ahead, std::int64_t c_ahead) {
  a.resize(c, kk.cols);
  b.resize(c, kk.cols);
  for (std::int64_t i = 0; i < c; ++i) {
    if (kk_ahead != nullptr && i < c_ahead)
      for (std::int64_t d = 0; d < kk.cols; d += 8) {
        __builtin_prefetch(kk_ahead + i * kk.stride + d);
        __builtin_prefetch(iclr_ahead + i * iclr.stride + d);
      }
    const double* kk_row = kk.row(t0 + i);
    const double* iclr_row = iclr.row(t0 + i);
    S* a_row = a.row(i).data();
    S* b_row = b.row(i).data();
    for (std::int64_t d = 0; d < kk.cols; ++d) {
      a_row[d] = static_cast<S>(-kk_row[d]);
      b_row[d] = static_cast<S>(kk_row[d] * iclr_row[d]);
    }
  }
}

// One head of the chunked form: its rows in place, its output rows and its state.
template <class S>
struct ChunkHead {
  mixers::HeadRows r, g, k, v, a, b;  // a, b: kk, iclr when from_kk
  bool from_kk = false;
  mixers::HeadOutput o;
  Mat<S> state;  // [K, V]
};

// The chunked form over a block of heads of one sequence side by side: each chunk of every head
// in turn, so that the heads' rows of a chunk, adjacent in [B, T, H, dim], are read together
// (the next head's rows prefetched while one loads); outputs go straight into the result. A
// head's arithmetic does not depend on its neighbours.
template <class S>
void chunked(std::vector<ChunkHead<S>>& heads, std::int64_t T, std::int64_t chunk_size,
             OpCounts& counts) {
  ChunkBuffers<S> x;
  mixers::for_each_chunk_of_heads(
      heads.size(), T, chunk_size,
      [&](std::size_t i, std::int64_t start, std::int64_t c, const mixers::NextChunk& ahead) {
        ChunkHead<S>& head = heads[i];
        const ChunkHead<S>& next = heads[ahead.head];
        load_rows(head.r, start, c, x.r, ahead.first_row(next.r), ahead.c);
        load_rows(head.g, start, c, x.g, ahead.first_row(next.g), ahead.c);
        load_rows(head.k, start, c, x.k, ahead.first_row(next.k), ahead.c);
        load_rows(head.v, start, c, x.v, ahead.first_row(next.v), ahead.c, ahead.first_row(next.o));
        if (head.from_kk) {
          load_a_b(head.a, head.b, start, c, x.a, x.b, ahead.first_row(next.a),
                   ahead.first_row(next.b), ahead.c);
        } else {
          load_rows(head.a, start, c, x.a, ahead.first_row(next.a), ahead.c);
          load_rows(head.b, start, c, x.b, ahead.first_row(next.b), ahead.c);
        }
        chunk_step(c, x, head.state, counts);
        for (std::int64_t row = 0; row < c; ++row) {
          double* dst = head.o.row(start + row);
          for (std::int64_t e = 0; e < x.kv.cols(); ++e)
            dst[e] = static_cast<double>(x.kv(c + row, e));
        }
      });
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.r.dim(0), T = in.r.dim(1);
  Result result;
  result.o = Tensor({B, T, sh.H, sh.V});
  result.final_state = in.initial_state.empty() ? Tensor({B, sh.H, sh.K, sh.V}) : in.initial_state;
  const bool from_kk = in.a.empty();  // validated: then kk and iclr
  if (options.form == Form::chunked) {
    mixers::for_each_head_block(
        B, sh.H, result.counts,
        [&](std::int64_t b, std::int64_t h0, std::int64_t h1, OpCounts& counts) {
          std::vector<ChunkHead<S>> heads;
          for (std::int64_t h = h0; h < h1; ++h) {
            using mixers::head_rows;
            heads.push_back(
                {head_rows(in.r, b, h), head_rows(in.g, b, h), head_rows(in.k, b, h),
                 head_rows(in.v, b, h), head_rows(from_kk ? in.kk : in.a, b, h),
                 head_rows(from_kk ? in.iclr : in.b, b, h), from_kk,
                 mixers::head_output(result.o, b, h),
                 Eigen::Map<const Mat<double>>(
                     result.final_state.data.data() + (b * sh.H + h) * sh.K * sh.V, sh.K, sh.V)
                     .template cast<S>()});
          }
          chunked(heads, T, options.chunk_size, counts);
          for (std::int64_t h = h0; h < h1; ++h)
            Eigen::Map<Mat<double>>(result.final_state.data.data() + (b * sh.H + h) * sh.K * sh.V,
                                    sh.K, sh.V) =
                heads[static_cast<std::size_t>(h - h0)].state.template cast<double>();
        });
  } else {
    mixers::parallel_for_counted(B * sh.H, result.counts, [&](std::int64_t task, OpCounts& counts) {
      const std::int64_t b = task / sh.H, h = task % sh.H;
      const Head<S> x{mixers::gather_head<S>(in.r, b, h), mixers::gather_head<S>(in.g, b, h),
                      mixers::gather_head<S>(in.k, b, h), mixers::gather_head<S>(in.v, b, h),
                      mixers::gather_head<S>(in.a, b, h), mixers::gather_head<S>(in.b, b, h)};
      HeadMatrix<S> state = mixers::gather_matrix<S>(result.final_state, task, sh.K, sh.V);
      mixers::scatter_head(recurrent(x, state, counts), result.o, b, h);
      mixers::scatter_matrix(state, result.final_state, task);
    });
  }
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
  if (inputs.a.empty() && options.form == Form::recurrent) {  // the recurrence reads a and b whole
    Inputs with_a_b = inputs;
    set_a_b_from_kk_iclr(with_a_b, inputs.kk, inputs.iclr);
    return run(with_a_b, options);
  }
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::rwkv7
