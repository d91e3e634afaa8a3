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
#include <vector>

#include "core/error.h"
#include "mixers/common/activations.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"

namespace attnsim::mamba3 {
namespace {

using mixers::HeadMatrix;
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

// One (sequence, head) after the elementwise preprocessing: rows t·R + r of the fused
// (token, rank) matrices, and the per-token scalars.
template <class S>
struct Head {
  HeadMatrix<S> q, k;                          // [T·R, N] biased and rotated
  HeadMatrix<S> v;                             // [T·R, P] x ⊙ mimo_v[r]
  std::vector<S> adt, alpha, beta_hat, gamma;  // [T]; β̂ = (1 − λ)Δ, so β = β̂·α
  HeadMatrix<S> k_prev, v_prev;                // [R, N], [R, P]: the token before the first
  std::vector<S> theta;                        // [S] Θ after the last token (unreduced)
};

template <class S>
S mimo_weight(const Tensor& w, std::int64_t hd, std::int64_t r, std::int64_t p, const Shapes& sh) {
  return w.empty() ? S{1} : static_cast<S>(w[static_cast<std::size_t>((hd * sh.R + r) * sh.P + p)]);
}

// Turns pair j < S of x [N] by the angle whose cosine and sine are cos[j], sin[j]:
// (a, b) ↦ (a cos − b sin, a sin + b cos).
template <class S>
void rotate(S* x, const std::vector<S>& cos, const std::vector<S>& sin, std::int64_t N,
            RopePairing pairing) {
  for (std::size_t j = 0; j < cos.size(); ++j) {
    const auto i = static_cast<std::int64_t>(j);
    const std::int64_t ia = pairing == RopePairing::interleaved ? 2 * i : i;
    const std::int64_t ib = pairing == RopePairing::interleaved ? 2 * i + 1 : i + N / 2;
    const S c = cos[j], s = sin[j];
    const S a = x[ia], b = x[ib];
    x[ia] = a * c - b * s;
    x[ib] = a * s + b * c;
  }
}

template <class S>
Head<S> preprocess(const Inputs& in, const Options& options, const Shapes& sh, std::int64_t b,
                   std::int64_t hd, Result& result) {
  const std::int64_t T = in.v.dim(1), H = sh.H, R = sh.R, N = sh.N, P = sh.P;
  const std::int64_t g = hd / (H / sh.G);
  Head<S> head{HeadMatrix<S>(T * R, N),
               HeadMatrix<S>(T * R, N),
               HeadMatrix<S>(T * R, P),
               {},
               {},
               {},
               {},
               HeadMatrix<S>(R, N),
               HeadMatrix<S>(R, P),
               std::vector<S>(static_cast<std::size_t>(sh.S), S{0})};
  const auto at = [](const Tensor& t, std::int64_t i) {
    return static_cast<S>(t[static_cast<std::size_t>(i)]);
  };
  if (!in.initial_angle_state.empty())
    for (std::int64_t j = 0; j < sh.S; ++j)
      head.theta[static_cast<std::size_t>(j)] = at(in.initial_angle_state, (b * H + hd) * sh.S + j);
  for (std::int64_t r = 0; r < R; ++r) {
    for (std::int64_t n = 0; n < N; ++n)
      if (!in.initial_k_state.empty())
        head.k_prev.at(r, n) = at(in.initial_k_state, ((b * R + r) * H + hd) * N + n);
    for (std::int64_t p = 0; p < P; ++p)
      if (!in.initial_v_state.empty())
        head.v_prev.at(r, p) =
            at(in.initial_v_state, (b * H + hd) * P + p) * mimo_weight<S>(in.mimo_v, hd, r, p, sh);
  }
  const S pi = std::numbers::pi_v<S>;
  std::vector<S> cos(static_cast<std::size_t>(sh.S)), sin(cos);  // of Θ_t, for every rank, q and k
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t bth = (b * T + t) * H + hd;
    const S dt = at(in.dt, bth);
    for (std::int64_t j = 0; j < sh.S; ++j) {
      S& theta = head.theta[static_cast<std::size_t>(j)];
      theta += pi * std::tanh(at(in.angles, bth * sh.S + j)) * dt;
      cos[static_cast<std::size_t>(j)] = std::cos(theta);
      sin[static_cast<std::size_t>(j)] = std::sin(theta);
      if (options.intermediates)
        result.theta[static_cast<std::size_t>(bth * sh.S + j)] =
            reduce_angle(static_cast<double>(theta));
    }
    for (std::int64_t r = 0; r < R; ++r) {
      S* q = head.q.row(t * R + r);
      S* k = head.k.row(t * R + r);
      for (std::int64_t n = 0; n < N; ++n) {
        q[n] = at(in.q, (((b * T + t) * R + r) * sh.G + g) * N + n) +
               at(in.q_bias, (hd * R + r) * N + n);
        k[n] = at(in.k, (((b * T + t) * R + r) * sh.G + g) * N + n) +
               at(in.k_bias, (hd * R + r) * N + n);
      }
      rotate(q, cos, sin, N, options.pairing);
      rotate(k, cos, sin, N, options.pairing);
      for (std::int64_t n = 0; n < N && options.intermediates; ++n) {
        const auto out = static_cast<std::size_t>((((b * T + t) * R + r) * H + hd) * N + n);
        result.q_rot[out] = static_cast<double>(q[n]);
        result.k_rot[out] = static_cast<double>(k[n]);
      }
      for (std::int64_t p = 0; p < P; ++p)
        head.v.at(t * R + r, p) = at(in.v, bth * P + p) * mimo_weight<S>(in.mimo_v, hd, r, p, sh);
    }
    const S lambda = static_cast<S>(mixers::sigmoid(static_cast<double>(at(in.trap, bth))));
    head.adt.push_back(at(in.adt, bth));
    head.alpha.push_back(std::exp(head.adt.back()));
    head.beta_hat.push_back((S{1} - lambda) * dt);
    head.gamma.push_back(lambda * dt);
  }
  return head;
}

// h += coef · Σ_r v[r] k[r]ᵀ over the R rows starting at `row` (R·P·N multiply-adds).
template <class S>
void rank_update(HeadMatrix<S>& h, S coef, const HeadMatrix<S>& v, const HeadMatrix<S>& k,
                 std::int64_t row, std::int64_t R) {
  for (std::int64_t r = row; r < row + R; ++r)
    for (std::int64_t p = 0; p < h.rows; ++p) {
      const S cv = coef * v.at(r, p);
      S* hp = h.row(p);
      const S* kr = k.row(r);
      for (std::int64_t n = 0; n < h.cols; ++n) hp[n] += cv * kr[n];
    }
}

// out[p] = scale · Σ_n h[p, n] q[n] (P·N multiply-adds).
template <class S>
void read_state(const HeadMatrix<S>& h, const S* q, S scale, S* out) {
  for (std::int64_t p = 0; p < h.rows; ++p) {
    S sum{0};
    const S* hp = h.row(p);
    for (std::int64_t n = 0; n < h.cols; ++n) sum += hp[n] * q[n];
    out[p] = scale * sum;
  }
}

template <class S>
void scale_state(HeadMatrix<S>& h, S factor) {
  for (S& value : h.data) value *= factor;
}

// 1. Token by token: decay, previous-token half-step, current-token step, read-out.
template <class S>
HeadMatrix<S> recurrent(const Head<S>& head, const Shapes& sh, HeadMatrix<S>& h, OpCounts& counts) {
  const std::int64_t T = head.v.rows / sh.R, R = sh.R;
  HeadMatrix<S> o(T * R, sh.P);
  for (std::int64_t t = 0; t < T; ++t) {
    const auto i = static_cast<std::size_t>(t);
    scale_state(h, head.alpha[i]);
    const S beta = head.beta_hat[i] * head.alpha[i];
    if (t == 0)
      rank_update(h, beta, head.v_prev, head.k_prev, 0, R);
    else
      rank_update(h, beta, head.v, head.k, (t - 1) * R, R);
    rank_update(h, head.gamma[i], head.v, head.k, t * R, R);
    for (std::int64_t r = 0; r < R; ++r)
      read_state(h, head.q.row(t * R + r), S{1}, o.row(t * R + r));
  }
  counts.add("state_update", 2 * T * R * sh.P * sh.N);
  counts.add("readout", T * R * sh.P * sh.N);
  return o;
}

// 2. Chunks [s0, e) with chunk-local Γ_t = Σ_{s0 ≤ u ≤ t} adt_u:
//   h_in = h_{s0−1} + β̂_{s0} Σ_r v_{s0−1,r} k̂_{s0−1,r}ᵀ
//   o_{t,a} = e^{Γ_t} h_in q̂_{t,a} + Σ_{s≤t} e^{Γ_t−Γ_s}(γ_s + β̂_{s+1}[s<t]) Σ_c (q̂_{t,a}·k̂_{s,c})
//   v_{s,c} h_{e−1} = e^{Γ_{e−1}} h_in + Σ_s e^{Γ_{e−1}−Γ_s}(γ_s + β̂_{s+1}[s<e−1]) Σ_c v_{s,c}
//   k̂_{s,c}ᵀ
// The (token, rank) pairs are c·R fused rows. Only differences Γ_t − Γ_s ≤ 0 are
// exponentiated, so strong decays cannot overflow.
template <class S>
HeadMatrix<S> chunked(const Head<S>& head, const Shapes& sh, std::int64_t chunk_size,
                      HeadMatrix<S>& state, OpCounts& counts) {
  const std::int64_t T = head.v.rows / sh.R, R = sh.R, P = sh.P, N = sh.N;
  HeadMatrix<S> o(T * R, P);
  Eigen::Map<Mat<S>> h(state.data.data(), P, N);
  std::vector<S> gamma_cum;
  for (std::int64_t s0 = 0; s0 < T; s0 += chunk_size) {
    const std::int64_t e = std::min(T, s0 + chunk_size), c = e - s0;
    gamma_cum.assign(static_cast<std::size_t>(c), S{0});
    S sum{0};
    for (std::int64_t t = s0; t < e; ++t)
      gamma_cum[static_cast<std::size_t>(t - s0)] = sum += head.adt[static_cast<std::size_t>(t)];
    const auto G = [&](std::int64_t t) { return gamma_cum[static_cast<std::size_t>(t - s0)]; };
    // The weight of token s's rank-R term in the state at t ≥ s (β̂ of the next token if t > s).
    const auto weight = [&](std::int64_t t, std::int64_t s) {
      const S pending = s < t ? head.beta_hat[static_cast<std::size_t>(s + 1)] : S{0};
      return std::exp(G(t) - G(s)) * (head.gamma[static_cast<std::size_t>(s)] + pending);
    };
    // The previous token's pending half-step: R·P·N.
    const bool first = s0 == 0;
    const ConstMap<S> v_prev(first ? head.v_prev.row(0) : head.v.row((s0 - 1) * R), R, P);
    const ConstMap<S> k_prev(first ? head.k_prev.row(0) : head.k.row((s0 - 1) * R), R, N);
    h.noalias() += head.beta_hat[static_cast<std::size_t>(s0)] * v_prev.transpose() * k_prev;
    const ConstMap<S> q(head.q.row(s0 * R), c * R, N), k(head.k.row(s0 * R), c * R, N);
    const ConstMap<S> v(head.v.row(s0 * R), c * R, P);
    Eigen::Map<Mat<S>> out(o.row(s0 * R), c * R, P);
    // Inter-chunk read-out e^{Γ_t} h_in q̂: c·R·P·N.
    out.noalias() = q * h.transpose();
    for (std::int64_t t = s0; t < e; ++t) out.middleRows((t - s0) * R, R) *= std::exp(G(t));
    // Intra-chunk: each token's R rows against the (t − s0 + 1)·R key rows up to it.
    for (std::int64_t t = s0; t < e; ++t) {
      const std::int64_t m = (t - s0 + 1) * R;
      Mat<S> scores = q.middleRows((t - s0) * R, R) * k.topRows(m).transpose();  // R·m·N
      for (std::int64_t s = s0; s <= t; ++s) scores.middleCols((s - s0) * R, R) *= weight(t, s);
      out.middleRows((t - s0) * R, R).noalias() += scores * v.topRows(m);  // R·m·P
    }
    // End state: e^{Γ_{e−1}} h_in + Σ_s w_s Σ_c v_{s,c} k̂_{s,c}ᵀ: c·R·P·N.
    Mat<S> weighted = v;
    for (std::int64_t s = s0; s < e; ++s) weighted.middleRows((s - s0) * R, R) *= weight(e - 1, s);
    h *= std::exp(G(e - 1));
    h.noalias() += weighted.transpose() * k;
    counts.add("state_update", R * P * N * (1 + c));
    counts.add("state_read", c * R * P * N);
    counts.add("scores", R * R * c * (c + 1) / 2 * N);
    counts.add("intra_output", R * R * c * (c + 1) / 2 * P);
  }
  return o;
}

// o_{t,r} += D v_{t,r}; optional RMSNorm_P·w; gate silu(z ⊙ mimo_z[r]); y_t = Σ_r mimo_o[r] ⊙
// o_{t,r}.
template <class S>
void finish_output(const Inputs& in, const Options& options, const Shapes& sh, std::int64_t b,
                   std::int64_t hd, const Head<S>& head, HeadMatrix<S>& o, Tensor& y) {
  const std::int64_t T = o.rows / sh.R, P = sh.P, H = sh.H;
  const S skip = in.D.empty() ? S{0} : static_cast<S>(in.D[static_cast<std::size_t>(hd)]);
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t bth = (b * T + t) * H + hd;
    std::vector<S> y_t(static_cast<std::size_t>(P), S{0});
    for (std::int64_t r = 0; r < sh.R; ++r) {
      S* out = o.row(t * sh.R + r);
      for (std::int64_t p = 0; p < P; ++p) out[p] += skip * head.v.at(t * sh.R + r, p);
      if (options.outproj_norm) {
        S mean_square{0};
        for (std::int64_t p = 0; p < P; ++p) mean_square += out[p] * out[p];
        mean_square /= static_cast<S>(P);
        const S inv_rms = S{1} / std::sqrt(mean_square + static_cast<S>(options.outproj_norm_eps));
        for (std::int64_t p = 0; p < P; ++p)
          out[p] *= inv_rms *
                    static_cast<S>(in.outproj_norm_weight[static_cast<std::size_t>(hd * P + p)]);
      }
      for (std::int64_t p = 0; p < P; ++p) {
        if (!in.z.empty()) {
          const S gate = static_cast<S>(in.z[static_cast<std::size_t>(bth * P + p)]) *
                         mimo_weight<S>(in.mimo_z, hd, r, p, sh);
          out[p] *= static_cast<S>(mixers::silu(static_cast<double>(gate)));
        }
        y_t[static_cast<std::size_t>(p)] += mimo_weight<S>(in.mimo_o, hd, r, p, sh) * out[p];
      }
    }
    for (std::int64_t p = 0; p < P; ++p)
      y[static_cast<std::size_t>(bth * P + p)] =
          static_cast<double>(y_t[static_cast<std::size_t>(p)]);
  }
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
  mixers::parallel_for_counted(B * H, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / H, hd = task % H;  // one (sequence, head) per task
    const Head<S> head = preprocess<S>(in, options, sh, b, hd, result);
    auto h = mixers::gather_matrix<S>(result.final_ssm_state, b * H + hd, P, N);
    HeadMatrix<S> o = options.form == Form::chunked
                          ? chunked(head, sh, options.chunk_size, h, counts)
                          : recurrent(head, sh, h, counts);
    finish_output(in, options, sh, b, hd, head, o, result.y);
    mixers::scatter_matrix(h, result.final_ssm_state, b * H + hd);
    for (std::int64_t j = 0; j < sh.S; ++j)
      result.final_angle_state[static_cast<std::size_t>((b * H + hd) * sh.S + j)] =
          reduce_angle(static_cast<double>(head.theta[static_cast<std::size_t>(j)]));
    if (T == 0) return;
    for (std::int64_t r = 0; r < R; ++r)
      for (std::int64_t n = 0; n < N; ++n)
        result.final_k_state[static_cast<std::size_t>(((b * R + r) * H + hd) * N + n)] =
            static_cast<double>(head.k.at((T - 1) * R + r, n));
    for (std::int64_t p = 0; p < P; ++p)
      result.final_v_state[static_cast<std::size_t>((b * H + hd) * P + p)] =
          in.v[static_cast<std::size_t>(((b * T + T - 1) * H + hd) * P + p)];
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
