// Mamba-3 core (mixers-spec-new §A), per head hd with group g = hd // (H/G) and rank r:
//   Θ_t = Θ_{t−1} + π·tanh(angles_t)·Δ_t,  q̂_{t,r} = Rot(q_{t,r,g} + q_bias, Θ_t), k̂ likewise
//   h_t = α_t h_{t−1} + β_t Σ_r v_{t−1,r} k̂_{t−1,r}ᵀ + γ_t Σ_r v_{t,r} k̂_{t,r}ᵀ
//   o_{t,r} = h_t q̂_{t,r} + D v_{t,r},  then the optional norm, the gate and y_t = Σ_r mimo_o ⊙
//   o_{t,r}
// with λ = sigmoid(trap), α = exp(adt), β = (1 − λ)Δα, γ = λΔ, v_{t,r} = x_t ⊙ mimo_v[r].
#include "mixers/mamba3/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "mixers/common/activations.h"
#include "mixers/common/parallel.h"
#include "mixers/common/vector_exp.h"
#include "mixers/mamba3/rows.h"

namespace attnsim::mamba3 {
namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using ConstMap = Eigen::Map<const Mat<S>>;

void require_optional(const Tensor& t, const std::vector<std::int64_t>& shape,
                      const std::string& name, const std::string& axes) {
  if (!t.empty()) require_shape(t.shape, shape, name, axes);
}

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.q.shape, 5, "q", "[B, T, R, G, N]");
  require_rank(in.v.shape, 4, "v", "[B, T, H, P]");
  require_rank(in.angles.shape, 4, "angles", "[B, T, H, S]");
  const std::int64_t B = in.v.dim(0), T = in.v.dim(1);
  const Shapes sh{in.v.dim(2), in.v.dim(3), in.q.dim(4),
                  in.q.dim(3), in.q.dim(2), in.angles.dim(3)};
  require_shape(in.q.shape, {B, T, sh.R, sh.G, sh.N}, "q", "B,T,R,G,N");
  require_shape(in.k.shape, {B, T, sh.R, sh.G, sh.N}, "k", "B,T,R,G,N");
  for (const auto& [tensor, name] :
       {std::pair{&in.dt, "dt"}, std::pair{&in.adt, "adt"}, std::pair{&in.trap, "trap"}})
    require_shape(tensor->shape, {B, T, sh.H}, name, "B,T,H");
  require_shape(in.angles.shape, {B, T, sh.H, sh.S}, "angles", "B,T,H,S");
  require_shape(in.q_bias.shape, {sh.H, sh.R, sh.N}, "q_bias", "H,R,N");
  require_shape(in.k_bias.shape, {sh.H, sh.R, sh.N}, "k_bias", "H,R,N");
  require_optional(in.D, {sh.H}, "D", "H");
  require_optional(in.z, {B, T, sh.H, sh.P}, "z", "B,T,H,P");
  require_optional(in.mimo_v, {sh.H, sh.R, sh.P}, "mimo_v", "H,R,P");
  require_optional(in.mimo_z, {sh.H, sh.R, sh.P}, "mimo_z", "H,R,P");
  require_optional(in.mimo_o, {sh.H, sh.R, sh.P}, "mimo_o", "H,R,P");
  require_optional(in.outproj_norm_weight, {sh.H, sh.P}, "outproj_norm_weight", "H,P");
  require_optional(in.initial_angle_state, {B, sh.H, sh.S}, "initial_angle_state", "B,H,S");
  require_optional(in.initial_ssm_state, {B, sh.H, sh.P, sh.N}, "initial_ssm_state", "B,H,P,N");
  require_optional(in.initial_k_state, {B, sh.R, sh.H, sh.N}, "initial_k_state", "B,R,H,N");
  require_optional(in.initial_v_state, {B, sh.H, sh.P}, "initial_v_state", "B,H,P");
  if (sh.G < 1 || sh.H % sh.G != 0)
    throw UserError(SourceLocation{}, "H", "a multiple of G = " + std::to_string(sh.G),
                    std::to_string(sh.H));
  // Every rotated pair must lie inside the N features: (2j, 2j+1) or (j, j + N/2), j < S.
  const bool pairs_fit = options.pairing == RopePairing::interleaved
                             ? 2 * sh.S <= sh.N
                             : sh.N % 2 == 0 && sh.S <= sh.N / 2;
  if (sh.S < 1 || !pairs_fit)
    throw UserError(
        SourceLocation{}, "S",
        options.pairing == RopePairing::interleaved ? "1 ≤ S ≤ N/2" : "1 ≤ S ≤ N/2 with N even",
        "S = " + std::to_string(sh.S) + ", N = " + std::to_string(sh.N));
  if (options.chunk_size < 1)
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  if (options.outproj_norm && in.outproj_norm_weight.empty())
    throw UserError(SourceLocation{}, "outproj_norm_weight", "an [H, P] input with outproj_norm",
                    "none");
  return sh;
}

// A head's per-layer values in the run's precision: the biases, the MIMO projections (all ones
// when absent), D and the output-norm weight.
template <class S>
struct HeadWeights {
  Mat<S> q_bias, k_bias;          // [R, N]
  Mat<S> mimo_v, mimo_z, mimo_o;  // [R, P]
  std::vector<S> norm_weight;     // [P], with outproj_norm
  S skip{0};                      // D
};

template <class S>
void load_rows(const Tensor& t, std::int64_t index, Mat<S>& m) {
  if (t.empty()) return;
  const double* src = t.data.data() + index * m.size();
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<S>(src[i]);
}

template <class S>
HeadWeights<S> head_weights(const Inputs& in, const Options& options, const Shapes& sh,
                            std::int64_t hd) {
  const std::int64_t R = sh.R, N = sh.N, P = sh.P;
  HeadWeights<S> w{
      Mat<S>(R, N), Mat<S>(R, N), Mat<S>::Ones(R, P), Mat<S>::Ones(R, P), Mat<S>::Ones(R, P),
      {},           S{0}};
  load_rows(in.q_bias, hd, w.q_bias);
  load_rows(in.k_bias, hd, w.k_bias);
  load_rows(in.mimo_v, hd, w.mimo_v);
  load_rows(in.mimo_z, hd, w.mimo_z);
  load_rows(in.mimo_o, hd, w.mimo_o);
  if (options.outproj_norm)
    for (std::int64_t p = 0; p < P; ++p)
      w.norm_weight.push_back(
          static_cast<S>(in.outproj_norm_weight[static_cast<std::size_t>(hd * P + p)]));
  if (!in.D.empty()) w.skip = static_cast<S>(in.D[static_cast<std::size_t>(hd)]);
  return w;
}

// One (sequence, head)'s rows of a chunk of c ≤ C tokens, and what carries over to the next
// chunk. Token i's rank rows are rows i·R + r of the fused (token, rank) matrices; the token
// before the chunk sits just above them, so its pending half-step is one more token of the
// chunk's products, and the state h sits above the keys, so one product reads out the state
// and scores the keys.
template <class S>
struct ChunkRows {
  ChunkRows(std::int64_t C, const Shapes& sh)
      : P(sh.P),
        R(sh.R),
        q(C * sh.R, sh.N),
        state_keys(sh.P + (C + 1) * sh.R, sh.N),
        v((C + 1) * sh.R, sh.P),
        out(C * sh.R, sh.P + (C + 1) * sh.R),
        weighted((C + 1) * sh.R, sh.P),
        gate(C * sh.R, sh.P),
        theta(static_cast<std::size_t>(sh.S), S{0}) {}
  std::int64_t P, R;
  Mat<S> q;           // [C·R, N] biased and rotated
  Mat<S> state_keys;  // [P + (C + 1)·R, N]: h, then k̂ of the token before and of the chunk
  Mat<S> v;           // [(C + 1)·R, P]: x ⊙ mimo_v[r] of the token before and of the chunk
  // [C·R, P + (C + 1)·R]: the output rows o in the first P columns; in the chunked form the
  // read-outs h q̂ there and the scores q̂·k̂ against the token before and the chunk after them.
  Mat<S> out;
  Mat<S> weighted;       // [(C + 1)·R, P] v rows times their weight in the chunk's end state
  Mat<S> gate;           // [C·R, P] z ⊙ mimo_z[r], then silu of it
  std::vector<S> theta;  // [S] Θ after the last loaded token (unreduced)
  std::vector<S> adt, alpha, beta_hat, gamma;  // [c]; β̂ = (1 − λ)Δ, so β = β̂·α
  std::vector<S> angle, cos, sin;              // [c·S] Θ_t, its cosines and sines
  std::vector<S> decay, weight;                // [c] e^{Γ_t}; [c·(c + 1)] token weights
  auto h() { return state_keys.topRows(P); }
  // k̂ and v rows of token i of the chunk; i = −1 is the token before it.
  S* k_row(std::int64_t i) { return state_keys.row(P + (i + 1) * R).data(); }
  S* v_row(std::int64_t i) { return v.row((i + 1) * R).data(); }
  S* out_row(std::int64_t row) { return out.row(row).data(); }
};

// The rows before the first chunk: the initial states (zero when absent), v_prev up-projected.
template <class S>
void load_initial_state(const Inputs& in, const Shapes& sh, std::int64_t b, std::int64_t hd,
                        const HeadWeights<S>& w, ChunkRows<S>& rows) {
  const std::int64_t H = sh.H, R = sh.R, N = sh.N, P = sh.P;
  rows.state_keys.topRows(P + R).setZero();
  rows.v.topRows(R).setZero();
  const auto at = [](const Tensor& t, std::int64_t i) {
    return static_cast<S>(t[static_cast<std::size_t>(i)]);
  };
  if (!in.initial_angle_state.empty())
    for (std::int64_t j = 0; j < sh.S; ++j)
      rows.theta[static_cast<std::size_t>(j)] = at(in.initial_angle_state, (b * H + hd) * sh.S + j);
  for (std::int64_t r = 0; r < R; ++r) {
    for (std::int64_t n = 0; n < N && !in.initial_k_state.empty(); ++n)
      rows.k_row(-1)[r * N + n] = at(in.initial_k_state, ((b * R + r) * H + hd) * N + n);
    for (std::int64_t p = 0; p < P && !in.initial_v_state.empty(); ++p)
      rows.v_row(-1)[r * P + p] = at(in.initial_v_state, (b * H + hd) * P + p) * w.mimo_v(r, p);
  }
  if (in.initial_ssm_state.empty()) return;
  const double* h = in.initial_ssm_state.data.data() + (b * H + hd) * P * N;
  for (std::int64_t i = 0; i < P * N; ++i) rows.state_keys.data()[i] = static_cast<S>(h[i]);
}

// The elementwise preprocessing of tokens [s0, s0 + c): angles, biased and rotated q and k,
// up-projected v, the per-token scalars, and the oracle's intermediates.
template <class S>
void load_chunk(const Inputs& in, const Options& options, const Shapes& sh, std::int64_t b,
                std::int64_t hd, std::int64_t s0, std::int64_t c, const HeadWeights<S>& w,
                ChunkRows<S>& rows, Result& result) {
  const std::int64_t T = in.v.dim(1), H = sh.H, R = sh.R, N = sh.N, P = sh.P, SA = sh.S;
  const std::int64_t g = hd / (H / sh.G);
  const auto at = [](const Tensor& t, std::int64_t i) {
    return static_cast<S>(t[static_cast<std::size_t>(i)]);
  };
  const S pi = std::numbers::pi_v<S>;
  rows.adt.clear(), rows.alpha.clear(), rows.beta_hat.clear(), rows.gamma.clear();
  // Θ_t = Θ_{t−1} + π·tanh(angles_t)·Δ_t with tanh x = 1 − 2/(e^{2x} + 1) (±1 at ±∞, within a
  // few ulp of 1 elsewhere), the chunk's exps in one vector pass; then sin and cos of every Θ_t.
  const auto n_angles = static_cast<std::size_t>(c * SA);
  rows.cos.resize(n_angles), rows.sin.resize(n_angles), rows.angle.resize(n_angles);
  for (std::int64_t i = 0; i < c; ++i) {
    const double* angles = in.angles.data.data() + ((b * T + s0 + i) * H + hd) * SA;
    for (std::int64_t j = 0; j < SA; ++j)
      rows.cos[static_cast<std::size_t>(i * SA + j)] = S{2} * static_cast<S>(angles[j]);
  }
  mixers::exp_in_place(rows.cos.data(), c * SA);
  for (std::int64_t i = 0; i < c; ++i) {
    const std::int64_t bth = (b * T + s0 + i) * H + hd;
    const S dt = at(in.dt, bth);
    for (std::int64_t j = 0; j < SA; ++j) {
      S& theta = rows.theta[static_cast<std::size_t>(j)];
      const auto a = static_cast<std::size_t>(i * SA + j);
      theta += pi * (S{1} - S{2} / (rows.cos[a] + S{1})) * dt;
      rows.angle[a] = theta;
      if (options.intermediates)
        result.theta[static_cast<std::size_t>(bth * SA + j)] =
            reduce_angle(static_cast<double>(theta));
    }
    const S lambda = static_cast<S>(mixers::sigmoid(static_cast<double>(at(in.trap, bth))));
    rows.adt.push_back(at(in.adt, bth));
    rows.alpha.push_back(std::exp(rows.adt.back()));
    rows.beta_hat.push_back((S{1} - lambda) * dt);
    rows.gamma.push_back(lambda * dt);
  }
  mixers::sin_cos(rows.angle.data(), rows.sin.data(), rows.cos.data(), c * SA);
  // q [B, T, R, G, N]: token t's rank-r row of group g at ((t·R + r)·G + g)·N.
  const std::int64_t first = ((b * T + s0) * R * sh.G + g) * N;
  for (auto [input, bias, out] :
       {std::tuple{&in.q, &w.q_bias, rows.q.data()}, {&in.k, &w.k_bias, rows.k_row(0)}})
    rotated_rows<S>({input->data.data() + first, R * sh.G * N, sh.G * N, bias->data(),
                     rows.cos.data(), rows.sin.data(), c, R, N, SA,
                     options.pairing == RopePairing::half, out});
  scaled_rows<S>({in.v.data.data() + ((b * T + s0) * H + hd) * P, H * P, w.mimo_v.data(), c, R, P,
                  rows.v_row(0)});
  for (std::int64_t i = 0; i < c && options.intermediates; ++i)
    for (std::int64_t r = 0; r < R; ++r)
      for (std::int64_t n = 0; n < N; ++n) {
        const auto out = static_cast<std::size_t>((((b * T + s0 + i) * R + r) * H + hd) * N + n);
        result.q_rot[out] = static_cast<double>(rows.q(i * R + r, n));
        result.k_rot[out] = static_cast<double>(rows.k_row(i)[r * N + n]);
      }
}

// Asks for the head's rows the chunk of c tokens from s0 reads (v, z, angles, the per-token
// scalars) and the y rows it writes, while the chunk before it computes: they are runs H·P
// apart in [B, T, H, P], which the hardware prefetchers do not follow, so the loads would wait
// on memory a row at a time (q and k rows are contiguous and need no help).
void prefetch_chunk(const Inputs& in, const Shapes& sh, std::int64_t b, std::int64_t hd,
                    std::int64_t s0, std::int64_t c, const Tensor& y) {
  const std::int64_t T = in.v.dim(1), H = sh.H, P = sh.P;
  const auto ask = [](const double* first, std::int64_t n) {
    for (std::int64_t i = 0; i < n; i += 8) __builtin_prefetch(first + i);
  };
  for (std::int64_t t = s0; t < s0 + c; ++t) {
    const std::int64_t bth = (b * T + t) * H + hd;
    ask(in.v.data.data() + bth * P, P);
    if (!in.z.empty()) ask(in.z.data.data() + bth * P, P);
    ask(in.angles.data.data() + bth * sh.S, sh.S);
    for (const Tensor* scalars : {&in.dt, &in.adt, &in.trap}) ask(scalars->data.data() + bth, 1);
    for (std::int64_t p = 0; p < P; p += 8) __builtin_prefetch(y.data.data() + bth * P + p, 1);
  }
}

// h += coef · Σ_r v[r] k[r]ᵀ over R rows (R·P·N multiply-adds); h [P, N].
template <class S>
void rank_update(S* h, std::int64_t P, std::int64_t N, S coef, const S* v, const S* k,
                 std::int64_t R) {
  for (std::int64_t r = 0; r < R; ++r)
    for (std::int64_t p = 0; p < P; ++p) {
      const S cv = coef * v[r * P + p];
      S* hp = h + p * N;
      const S* kr = k + r * N;
      for (std::int64_t n = 0; n < N; ++n) hp[n] += cv * kr[n];
    }
}

// out[p] = Σ_n h[p, n] q[n] (P·N multiply-adds); h [P, N].
template <class S>
void read_state(const S* h, std::int64_t P, std::int64_t N, const S* q, S* out) {
  for (std::int64_t p = 0; p < P; ++p) {
    S sum{0};
    const S* hp = h + p * N;
    for (std::int64_t n = 0; n < N; ++n) sum += hp[n] * q[n];
    out[p] = sum;
  }
}

// 1. Token by token: decay, previous-token half-step, current-token step, read-out.
template <class S>
void recurrent(const Shapes& sh, std::int64_t c, ChunkRows<S>& rows, OpCounts& counts) {
  const std::int64_t R = sh.R, P = sh.P, N = sh.N;
  S* h = rows.h().data();
  for (std::int64_t i = 0; i < c; ++i) {
    const auto u = static_cast<std::size_t>(i);
    rows.h() *= rows.alpha[u];
    const S beta = rows.beta_hat[u] * rows.alpha[u];
    rank_update(h, P, N, beta, rows.v_row(i - 1), rows.k_row(i - 1), R);
    rank_update(h, P, N, rows.gamma[u], rows.v_row(i), rows.k_row(i), R);
    for (std::int64_t r = 0; r < R; ++r)
      read_state(h, P, N, rows.q.row(i * R + r).data(), rows.out_row(i * R + r));
  }
  counts.add("state_update", 2 * c * R * sh.P * sh.N);
  counts.add("readout", c * R * sh.P * sh.N);
}

// 2. One chunk [s0, s0 + c) with chunk-local Γ_t = Σ_{s0 ≤ u ≤ t} adt_u, and the token before
// it as token s = −1 (Γ_{−1} = 0, γ_{−1} = 0):
//   o_{t,a} = e^{Γ_t} h q̂_{t,a} + Σ_{−1≤s≤t} W_{t,s} Σ_c (q̂_{t,a}·k̂_{s,c}) v_{s,c}
//   h_{e−1} = e^{Γ_{e−1}} h + Σ_{−1≤s<e} W_{e−1,s} Σ_c v_{s,c} k̂_{s,c}ᵀ
// with h = h_{s0−1} and W_{t,s} = e^{Γ_t−Γ_s}(γ_s + β̂_{s+1}[s<t]) for s ≤ t, the weight of token
// s's rank-R term in the state at t (s = −1: e^{Γ_t}·β̂_{s0}, the pending half-step of the token
// before the chunk). The (token, rank) pairs are fused rows; one product of the chunk's q̂ rows
// against [h; k̂] gives the read-outs and the [c·R, (c + 1)·R] scores, whose pairs s > t are
// then zeroed (only the pairs of the spec's s ≤ t half are counted). Only differences
// Γ_t − Γ_s ≤ 0 are exponentiated, so strong decays cannot overflow.
template <class S>
void chunked(const Shapes& sh, std::int64_t c, ChunkRows<S>& rows, OpCounts& counts) {
  const std::int64_t R = sh.R, P = sh.P, N = sh.N, m = c * R, keys = m + R, width = c + 1;
  const auto cu = static_cast<std::size_t>(c), wu = static_cast<std::size_t>(width);
  // Γ_s for s = −1 … c − 1, then the exponents Γ_t − Γ_s (s ≤ t) and their exps.
  rows.decay.assign(wu, S{0});
  for (std::size_t s = 1; s < wu; ++s) rows.decay[s] = rows.decay[s - 1] + rows.adt[s - 1];
  rows.weight.assign(cu * wu, S{0});
  for (std::size_t t = 0; t < cu; ++t)
    for (std::size_t s = 0; s <= t + 1; ++s)
      rows.weight[t * wu + s] = rows.decay[t + 1] - rows.decay[s];
  mixers::exp_in_place(rows.weight.data(), c * width);
  for (std::size_t t = 0; t < cu; ++t) {  // e^{Γ_t}, then W_{t,s} (column s + 1)
    S* w = rows.weight.data() + t * wu;
    rows.decay[t] = w[0];
    w[0] *= rows.beta_hat[0];
    for (std::size_t s = 1; s < wu; ++s)
      w[s] *= s > t + 1 ? S{0} : rows.gamma[s - 1] + (s <= t ? rows.beta_hat[s] : S{0});
  }
  // Read-outs h q̂ and scores q̂·k̂ in one product: c·R·P·N + R²·c(c+1)/2·N (counted).
  auto product = rows.out.topLeftCorner(m, P + keys);
  product.noalias() = rows.q.topRows(m) * rows.state_keys.topRows(P + keys).transpose();
  for (std::int64_t i = 0; i < m; ++i) {  // row i is token i / R's
    const S* w = rows.weight.data() + (i / R) * width;
    S* row = rows.out_row(i);
    const S decay = rows.decay[static_cast<std::size_t>(i / R)];
    for (std::int64_t p = 0; p < P; ++p) row[p] *= decay;
    for (std::int64_t s = 0; s < width; ++s)
      for (std::int64_t a = 0; a < R; ++a) row[P + s * R + a] *= w[s];
  }
  // The weighted scores against the value rows: R²·c(c+1)/2·P (counted) + the half-step's.
  auto v = rows.v.topRows(keys);
  product.leftCols(P).noalias() += product.rightCols(keys) * v;
  // End state: e^{Γ_{e−1}} h + Σ_s W_{e−1,s} Σ_c v_{s,c} k̂_{s,c}ᵀ: (c + 1)·R·P·N.
  auto weighted = rows.weighted.topRows(keys);
  const S* last = rows.weight.data() + (c - 1) * width;
  for (std::int64_t i = 0; i < keys; ++i) weighted.row(i) = v.row(i) * last[i / R];
  rows.h() *= rows.decay[cu - 1];
  rows.h().noalias() += weighted.transpose() * rows.state_keys.middleRows(P, keys);
  counts.add("state_update", R * P * N * (1 + c));
  counts.add("state_read", c * R * P * N);
  counts.add("scores", R * R * c * (c + 1) / 2 * N);
  counts.add("intra_output", R * R * c * (c + 1) / 2 * P);
}

// o_{t,r} += D v_{t,r}; optional RMSNorm_P·w; gate silu(z ⊙ mimo_z[r]); y_t = Σ_r mimo_o[r] ⊙
// o_{t,r}, written to y for tokens [s0, s0 + c).
template <class S>
void finish_chunk(const Inputs& in, const Options& options, const Shapes& sh, std::int64_t b,
                  std::int64_t hd, std::int64_t s0, std::int64_t c, const HeadWeights<S>& w,
                  ChunkRows<S>& rows, Tensor& y) {
  const std::int64_t T = in.v.dim(1), H = sh.H, P = sh.P, row = ((b * T + s0) * H + hd) * P;
  finished_rows<S>({rows.out.data(), rows.out.cols(), rows.v_row(0),
                    in.z.empty() ? nullptr : in.z.data.data() + row, H * P, w.mimo_z.data(),
                    w.mimo_o.data(), options.outproj_norm ? w.norm_weight.data() : nullptr, w.skip,
                    static_cast<S>(options.outproj_norm_eps), c, sh.R, P, rows.gate.data(),
                    y.data.data() + row});
}

// The recurrent form walks the sequence in blocks of this many tokens (its arithmetic does
// not depend on the block).
constexpr std::int64_t kRecurrentBlock = 64;
// A task runs up to this many heads of a sequence side by side (fewer where the threads would
// otherwise lack tasks), each a span of about this many tokens in turn: heads of a group read
// the same q and k rows, which the head after the first finds in cache instead of reading them
// from memory again (the task's heads' rows of a span fit in L3; a head's work rows stay cached
// through its span). Neither changes any arithmetic.
constexpr std::int64_t kHeadsPerTask = 4;
constexpr std::int64_t kSpanTokens = 256;

// Writes one (sequence, head)'s four final states.
template <class S>
void store_final_state(const Inputs& in, const Shapes& sh, std::int64_t b, std::int64_t hd,
                       ChunkRows<S>& rows, Result& result) {
  const std::int64_t T = in.v.dim(1), H = sh.H, R = sh.R, N = sh.N, P = sh.P;
  for (std::int64_t j = 0; j < sh.S; ++j)
    result.final_angle_state[static_cast<std::size_t>((b * H + hd) * sh.S + j)] =
        reduce_angle(static_cast<double>(rows.theta[static_cast<std::size_t>(j)]));
  if (T == 0) return;
  double* h = result.final_ssm_state.data.data() + (b * H + hd) * P * N;
  for (std::int64_t i = 0; i < P * N; ++i) h[i] = static_cast<double>(rows.state_keys.data()[i]);
  for (std::int64_t r = 0; r < R; ++r)
    for (std::int64_t n = 0; n < N; ++n)
      result.final_k_state[static_cast<std::size_t>(((b * R + r) * H + hd) * N + n)] =
          static_cast<double>(rows.k_row(-1)[r * N + n]);
  for (std::int64_t p = 0; p < P; ++p)
    result.final_v_state[static_cast<std::size_t>((b * H + hd) * P + p)] =
        in.v[static_cast<std::size_t>(((b * T + T - 1) * H + hd) * P + p)];
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.v.dim(0), T = in.v.dim(1), H = sh.H, R = sh.R, N = sh.N, P = sh.P;
  Result result;
  result.y = Tensor({B, T, H, P});
  if (options.intermediates) {
    result.theta = Tensor({B, T, H, sh.S});
    result.q_rot = Tensor({B, T, R, H, N});
    result.k_rot = Tensor({B, T, R, H, N});
  }
  result.final_angle_state = Tensor({B, H, sh.S});
  result.final_ssm_state =
      in.initial_ssm_state.empty() ? Tensor({B, H, P, N}) : in.initial_ssm_state;
  result.final_k_state = in.initial_k_state.empty() ? Tensor({B, R, H, N}) : in.initial_k_state;
  result.final_v_state = in.initial_v_state.empty() ? Tensor({B, H, P}) : in.initial_v_state;
  const bool chunked_form = options.form == Form::chunked;
  const std::int64_t block =
      std::max<std::int64_t>(1, std::min(chunked_form ? options.chunk_size : kRecurrentBlock, T));
  const std::int64_t span = block * std::max<std::int64_t>(1, kSpanTokens / block);
  const std::int64_t per_task =
      std::clamp<std::int64_t>(B * H / mixers::kernel_threads(), 1, kHeadsPerTask);
  const std::int64_t blocks = (H + per_task - 1) / per_task;
  mixers::parallel_for_counted(B * blocks, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / blocks, h0 = task % blocks * per_task;
    const std::int64_t h1 = std::min(H, h0 + per_task);
    std::vector<HeadWeights<S>> weights;
    std::vector<ChunkRows<S>> heads;
    for (std::int64_t hd = h0; hd < h1; ++hd) {
      weights.push_back(head_weights<S>(in, options, sh, hd));
      heads.emplace_back(block, sh);
      load_initial_state(in, sh, b, hd, weights.back(), heads.back());
    }
    for (std::int64_t t0 = 0; t0 < T; t0 += span)
      for (std::int64_t hd = h0; hd < h1; ++hd) {
        const HeadWeights<S>& w = weights[static_cast<std::size_t>(hd - h0)];
        ChunkRows<S>& rows = heads[static_cast<std::size_t>(hd - h0)];
        for (std::int64_t s0 = t0; s0 < std::min(T, t0 + span); s0 += block) {
          const std::int64_t c = std::min(block, T - s0);
          load_chunk(in, options, sh, b, hd, s0, c, w, rows, result);
          prefetch_chunk(in, sh, b, hd, s0 + c, std::min(block, T - s0 - c), result.y);
          if (chunked_form)
            chunked(sh, c, rows, counts);
          else
            recurrent(sh, c, rows, counts);
          finish_chunk(in, options, sh, b, hd, s0, c, w, rows, result.y);
          // The chunk's last token becomes the token before the next chunk.
          rows.state_keys.middleRows(P, R) = rows.state_keys.middleRows(P + c * R, R);
          rows.v.topRows(R) = rows.v.middleRows(c * R, R);
        }
      }
    for (std::int64_t hd = h0; hd < h1; ++hd)
      store_final_state(in, sh, b, hd, heads[static_cast<std::size_t>(hd - h0)], result);
  });
  result.state_elements = B * state_elements(sh);
  return result;
}

}  // namespace

double reduce_angle(double x) {
  const double two_pi = 2.0 * std::numbers::pi;
  return x - two_pi * std::floor(x / two_pi);
}

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::mamba3
