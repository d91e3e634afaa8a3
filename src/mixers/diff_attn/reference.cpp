// Differential attention (mixers-spec-new §B), per sequence and differential head i, kv pair
// j = i // (H/Hkv), s = D^−1/2:
//   A¹ = softmax(s·q[2i]·k[2j]ᵀ | visible),  A² = softmax(s·q[2i+1]·k[2j+1]ᵀ | visible)
//   λ = exp(λq1·λk1) − exp(λq2·λk2) + λ_init,  a = A¹V − λ·A²V  with V = [v[2j] | v[2j+1]]
//   o_i = (1 − λ_init)·RMSNorm_2D(a)·subln_weight;  out[2i] = o_i[:D], out[2i+1] = o_i[D:]
#include "mixers/diff_attn/reference.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "mixers/common/attention.h"
#include "mixers/common/parallel.h"

namespace attnsim::diff_attn {
namespace {

double dot(const Tensor& a, const Tensor& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

mixers::Visibility visibility_of(const Inputs& in, const Options& options) {
  const std::int64_t Tq = in.q.dim(1), Tk = in.k.dim(1);
  mixers::Visibility visibility = mixers::default_visibility(Tq, Tk, options.window);
  if (!in.q_positions.empty()) visibility.q_positions = in.q_positions;
  if (!in.k_positions.empty()) visibility.k_positions = in.k_positions;
  mixers::validate_visibility(visibility, Tq, Tk);
  return visibility;
}

// q or k with RoPE applied to every head at `positions` (a copy), or the tensor itself.
Tensor with_rope(const Tensor& x, const std::vector<std::int64_t>& positions,
                 const Options& options) {
  if (!options.rope_theta) return x;
  Tensor turned = x;
  const std::int64_t B = x.dim(0), T = x.dim(1), heads = x.dim(2), D = x.dim(3);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t h = 0; h < heads; ++h)
        mixers::apply_rope(turned.data.data() + ((b * T + t) * heads + h) * D, D,
                           static_cast<double>(positions[static_cast<std::size_t>(t)]),
                           *options.rope_theta, options.rope_style);
  return turned;
}

// One HF head's row [D] of a [B, T, heads, D] tensor, as S.
template <class S>
std::vector<S> row(const Tensor& x, std::int64_t b, std::int64_t t, std::int64_t h) {
  const std::int64_t T = x.dim(1), heads = x.dim(2), D = x.dim(3);
  const double* src = x.data.data() + ((b * T + t) * heads + h) * D;
  return std::vector<S>(src, src + D);
}

// Softmax over the visible keys [first, last) of s·q·kᵀ for one map; returns the
// probabilities and writes the natural-log normaliser.
template <class S>
std::vector<S> softmax_map(const std::vector<S>& q, const Tensor& k, std::int64_t b,
                           std::int64_t kv_head, std::int64_t first, std::int64_t last, S scale,
                           double& lse) {
  std::vector<S> p(static_cast<std::size_t>(last - first));
  S max = -std::numeric_limits<S>::infinity();
  for (std::int64_t j = first; j < last; ++j) {
    const std::vector<S> key = row<S>(k, b, j, kv_head);
    S score{0};
    for (std::size_t d = 0; d < key.size(); ++d) score += q[d] * key[d];
    p[static_cast<std::size_t>(j - first)] = scale * score;
    max = std::max(max, scale * score);
  }
  S sum{0};
  for (S& value : p) sum += value = std::exp(value - max);
  for (S& value : p) value /= sum;
  lse = p.empty() ? -std::numeric_limits<double>::infinity()
                  : static_cast<double>(max) + std::log(static_cast<double>(sum));
  return p;
}

// out [2D] += Σ_j w_j·[v[2g] | v[2g+1]]_j over keys [first, last).
template <class S>
void weighted_values(const std::vector<S>& w, const Tensor& v, std::int64_t b, std::int64_t pair,
                     std::int64_t first, std::vector<S>& out) {
  const std::int64_t D = v.dim(3);
  for (std::size_t j = 0; j < w.size(); ++j) {
    const auto key = first + static_cast<std::int64_t>(j);
    const std::vector<S> lo = row<S>(v, b, key, 2 * pair), hi = row<S>(v, b, key, 2 * pair + 1);
    for (std::int64_t d = 0; d < D; ++d) {
      out[static_cast<std::size_t>(d)] += w[j] * lo[static_cast<std::size_t>(d)];
      out[static_cast<std::size_t>(D + d)] += w[j] * hi[static_cast<std::size_t>(d)];
    }
  }
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.q.dim(0), Tq = in.q.dim(1), D = sh.D, heads = sh.H / 2;
  const std::int64_t group = sh.H / sh.Hkv;  // differential heads per kv pair
  const mixers::Visibility visibility = visibility_of(in, options);
  const Tensor q = with_rope(in.q, visibility.q_positions, options);
  const Tensor k = with_rope(in.k, visibility.k_positions, options);
  const double init = lambda_init(options.depth);
  const double lambda =
      std::exp(dot(in.lambda_q1, in.lambda_k1)) - std::exp(dot(in.lambda_q2, in.lambda_k2)) + init;
  const S scale = static_cast<S>(1.0 / std::sqrt(static_cast<double>(D)));
  const bool per_map = options.form == Form::two_pass || options.intermediates;
  Result result;
  result.o = Tensor({B, Tq, sh.H, D});
  if (per_map) result.attn1 = result.attn2 = Tensor({B, Tq, heads, 2 * D});
  result.lse1 = result.lse2 = Tensor({B, Tq, heads});
  result.lambda_full = Tensor({1}, lambda);
  mixers::parallel_for_counted(B * heads, result.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task / heads, i = task % heads, pair = i / group;
    std::int64_t pairs = 0;
    for (std::int64_t t = 0; t < Tq; ++t) {
      const auto [first, last] = visibility.key_range(t, t + 1);
      const std::int64_t n = std::max<std::int64_t>(last - first, 0);
      pairs += n;
      const std::size_t out = static_cast<std::size_t>((b * Tq + t) * heads + i);
      const auto p1 = softmax_map(row<S>(q, b, t, 2 * i), k, b, 2 * pair, first, first + n, scale,
                                  result.lse1[out]);
      const auto p2 = softmax_map(row<S>(q, b, t, 2 * i + 1), k, b, 2 * pair + 1, first, first + n,
                                  scale, result.lse2[out]);
      std::vector<S> a1(static_cast<std::size_t>(2 * D)), a2(a1), a(a1);
      if (per_map) {
        weighted_values(p1, in.v, b, pair, first, a1);
        weighted_values(p2, in.v, b, pair, first, a2);
      }
      if (options.form == Form::two_pass) {
        for (std::size_t d = 0; d < a.size(); ++d) a[d] = a1[d] - static_cast<S>(lambda) * a2[d];
      } else {
        std::vector<S> p(p1.size());  // A¹ − λA², one multiply-add per key
        for (std::size_t j = 0; j < p.size(); ++j) p[j] = p1[j] - static_cast<S>(lambda) * p2[j];
        weighted_values(p, in.v, b, pair, first, a);
      }
      if (per_map)
        for (std::int64_t d = 0; d < 2 * D; ++d) {
          result.attn1[out * static_cast<std::size_t>(2 * D) + static_cast<std::size_t>(d)] =
              static_cast<double>(a1[static_cast<std::size_t>(d)]);
          result.attn2[out * static_cast<std::size_t>(2 * D) + static_cast<std::size_t>(d)] =
              static_cast<double>(a2[static_cast<std::size_t>(d)]);
        }
      S mean_square{0};
      for (const S value : a) mean_square += value * value;
      mean_square /= static_cast<S>(2 * D);
      const S norm =
          static_cast<S>(1.0 - init) / std::sqrt(mean_square + static_cast<S>(options.subln_eps));
      for (std::int64_t d = 0; d < 2 * D; ++d) {
        // Feature d of the differential head goes to HF head 2i + d // D, feature d % D.
        const std::int64_t head = 2 * i + d / D;
        result.o[static_cast<std::size_t>(((b * Tq + t) * sh.H + head) * D + d % D)] =
            static_cast<double>(a[static_cast<std::size_t>(d)] * norm *
                                static_cast<S>(in.subln_weight[static_cast<std::size_t>(d)]));
      }
    }
    counts.add("scores", 2 * pairs * D);
    if (options.form == Form::two_pass) {
      counts.add("av", 2 * pairs * 2 * D);
    } else {
      counts.add("combine", pairs);
      counts.add("av", pairs * 2 * D);
    }
  });
  result.cache_elements = static_cast<std::int64_t>(in.k.size() + in.v.size());
  return result;
}

}  // namespace

Shapes shapes_of(const Tensor& q, const Tensor& k, const Tensor& v) {
  require_rank(q.shape, 4, "q", "[B, Tq, H, D]");
  require_rank(k.shape, 4, "k", "[B, Tk, Hkv, D]");
  require_rank(v.shape, 4, "v", "[B, Tk, Hkv, D]");
  const Shapes sh{q.dim(2), k.dim(2), q.dim(3)};
  const std::int64_t B = q.dim(0), Tk = k.dim(1);
  require_shape(k.shape, {B, Tk, sh.Hkv, sh.D}, "k", "B,Tk,Hkv,D");
  require_shape(v.shape, {B, Tk, sh.Hkv, sh.D}, "v", "B,Tk,Hkv,D");
  // Heads come in pairs (2i, 2i+1) on both sides, and each kv pair serves H/Hkv differential heads.
  if (sh.Hkv < 2 || sh.Hkv % 2 != 0 || sh.H % sh.Hkv != 0)
    throw UserError(SourceLocation{}, "H, Hkv", "an even Hkv dividing H",
                    "H = " + std::to_string(sh.H) + ", Hkv = " + std::to_string(sh.Hkv));
  return sh;
}

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = shapes_of(inputs.q, inputs.k, inputs.v);
  for (const auto& [tensor, name] :
       {std::pair{&inputs.lambda_q1, "lambda_q1"}, std::pair{&inputs.lambda_k1, "lambda_k1"},
        std::pair{&inputs.lambda_q2, "lambda_q2"}, std::pair{&inputs.lambda_k2, "lambda_k2"}})
    require_shape(tensor->shape, {shapes.D}, name, "D");
  require_shape(inputs.subln_weight.shape, {2 * shapes.D}, "subln_weight", "2D");
  if (options.rope_theta && shapes.D % 2 != 0)
    throw UserError(SourceLocation{}, "D", "an even head dim with RoPE", std::to_string(shapes.D));
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

}  // namespace attnsim::diff_attn
