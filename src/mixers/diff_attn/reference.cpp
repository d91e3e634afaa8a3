// Differential attention (mixers-spec-new §B), per sequence and differential head i, kv pair
// j = i // (H/Hkv), s = D^−1/2:
//   A¹ = softmax(s·q[2i]·k[2j]ᵀ | visible),  A² = softmax(s·q[2i+1]·k[2j+1]ᵀ | visible)
//   λ = exp(λq1·λk1) − exp(λq2·λk2) + λ_init,  a = A¹V − λ·A²V  with V = [v[2j] | v[2j+1]]
//   o_i = (1 − λ_init)·RMSNorm_2D(a)·subln_weight;  out[2i] = o_i[:D], out[2i+1] = o_i[D:]
#include "mixers/diff_attn/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "mixers/common/attention.h"
#include "mixers/common/head_matrix.h"
#include "mixers/common/parallel.h"

namespace attnsim::diff_attn {
namespace {

using mixers::HeadMatrix;
template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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

// The two maps of one sequence as GQA attention: map m's queries are HF heads 2i + m, its keys
// HF kv heads 2j + m, and both share the values [v[2j] | v[2j+1]] [Tk, 2D], kept by map 0 (the
// two live and go together). q and k are read in place in float64.
template <class S>
std::array<mixers::AttentionHeads<S>, 2> map_heads(const Tensor& q, const Tensor& k,
                                                   const Tensor& v, std::int64_t b) {
  std::array<mixers::AttentionHeads<S>, 2> maps;
  const std::int64_t Tk = k.dim(1), D = k.dim(3);
  for (std::int64_t j = 0; j < k.dim(2) / 2; ++j) {
    HeadMatrix<S> value(Tk, 2 * D);  // one copy, read by both maps
    const auto lo = mixers::gather_head<S>(v, b, 2 * j),
               hi = mixers::gather_head<S>(v, b, 2 * j + 1);
    for (std::int64_t t = 0; t < Tk; ++t)
      for (std::int64_t d = 0; d < D; ++d) {
        value.at(t, d) = lo.at(t, d);
        value.at(t, D + d) = hi.at(t, d);
      }
    const mixers::HeadView<S> shared = maps[0].keep(std::move(value));
    for (int m = 0; m < 2; ++m) {
      maps[m].k.push_back(maps[m].of_tensor(k, b, 2 * j + m));
      maps[m].v.push_back(shared);
    }
  }
  for (std::int64_t i = 0; i < q.dim(2) / 2; ++i)
    for (int m = 0; m < 2; ++m) maps[m].q.push_back(maps[m].of_tensor(q, b, 2 * i + m));
  return maps;
}

// Softmax rows of the scaled scores z [rows, n] of queries [i0, i0 + rows) against keys
// [first, first + n), invisible keys excluded; writes each row's natural-log normaliser.
template <class S>
void softmax_rows(Mat<S>& z, const mixers::Visibility& visibility, std::int64_t i0,
                  std::int64_t first, S* lse, std::int64_t lse_stride) {
  for (Eigen::Index r = 0; r < z.rows(); ++r) {
    const auto [begin, end] = visibility.key_range(i0 + r, i0 + r + 1);
    const Eigen::Index lo = begin - first, hi = std::max(begin, end) - first;
    z.row(r).head(lo).setZero();
    z.row(r).tail(z.cols() - hi).setZero();
    if (hi == lo) {
      lse[r * lse_stride] = -std::numeric_limits<S>::infinity();
      continue;
    }
    auto visible = z.row(r).segment(lo, hi - lo);
    const S max = visible.maxCoeff();
    visible.array() = (visible.array() - max).exp();
    const S sum = visible.sum();
    visible /= sum;
    lse[r * lse_stride] = max + std::log(sum);
  }
}

// The combined form for differential head i of one sequence, query block [i0, i1):
// P = A¹ − λA² (one multiply-add per visible key), then P·V. With `per_map`, A¹V and A²V too
// (not counted).
template <class S>
void combined_block(const std::array<mixers::AttentionHeads<S>, 2>& maps,
                    const mixers::Visibility& visibility, S scale, S lambda, std::int64_t i,
                    std::int64_t pair, std::int64_t i0, std::int64_t i1, bool per_map,
                    std::array<HeadMatrix<S>, 3>& out, HeadMatrix<S>& lse, OpCounts& counts) {
  const auto [first, last] = visibility.key_range(i0, i1);
  const std::int64_t rows = i1 - i0, n = std::max<std::int64_t>(last - first, 0);
  const auto& value = maps[0].v[static_cast<std::size_t>(pair)];
  const auto v = mixers::rows_of(value, first, n);
  std::array<Mat<S>, 2> p;
  for (int m = 0; m < 2; ++m) {
    const auto& qh = maps[m].q[static_cast<std::size_t>(i)];
    const auto& kh = maps[m].k[static_cast<std::size_t>(pair)];
    p[m].resize(rows, n);
    p[m].noalias() =
        scale * mixers::rows_of(qh, i0, rows) * mixers::rows_of(kh, first, n).transpose();
    softmax_rows(p[m], visibility, i0, first, &lse.at(i0, m), lse.cols);
    counts.add("scores", rows * n * kh.cols);
  }
  const Mat<S> combined = p[0] - lambda * p[1];
  counts.add("combine", rows * n);
  Eigen::Map<Mat<S>>(out[0].row(i0), rows, value.cols).noalias() = combined * v;
  counts.add("av", rows * n * value.cols);
  if (per_map)
    for (int m = 0; m < 2; ++m)
      Eigen::Map<Mat<S>>(out[1 + m].row(i0), rows, value.cols).noalias() = p[m] * v;
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
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const bool per_map = options.form == Form::two_pass || options.intermediates;
  Result result;
  result.o = Tensor({B, Tq, sh.H, D});
  if (per_map) result.attn1 = result.attn2 = Tensor({B, Tq, heads, 2 * D});
  result.lse1 = result.lse2 = Tensor({B, Tq, heads});
  result.lambda_full = Tensor({1}, lambda);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto maps = map_heads<S>(q, k, in.v, b);
    // Per differential head: [combined or A¹V − λA²V, A¹V, A²V], each [Tq, 2D]; lse [Tq, 2].
    std::vector<std::array<HeadMatrix<S>, 3>> attn(static_cast<std::size_t>(heads));
    std::vector<HeadMatrix<S>> lse(static_cast<std::size_t>(heads), HeadMatrix<S>(Tq, 2));
    if (options.form == Form::two_pass) {
      std::array<mixers::AttentionOutput<S>, 2> out;
      for (int m = 0; m < 2; ++m)
        out[m] =
            mixers::attend(maps[m], visibility, scale, options.query_block, nullptr, result.counts);
      for (std::int64_t i = 0; i < heads; ++i) {
        auto& a = attn[static_cast<std::size_t>(i)];
        a[1] = out[0].o[static_cast<std::size_t>(i)];
        a[2] = out[1].o[static_cast<std::size_t>(i)];
        a[0] = a[1];
        for (std::size_t e = 0; e < a[0].data.size(); ++e)
          a[0].data[e] -= static_cast<S>(lambda) * a[2].data[e];
        for (std::int64_t t = 0; t < Tq; ++t)
          for (int m = 0; m < 2; ++m)
            lse[static_cast<std::size_t>(i)].at(t, m) = out[m].lse.at(t, i);
      }
    } else {
      const std::int64_t blocks = (Tq + options.query_block - 1) / options.query_block;
      mixers::parallel_for_counted(heads, result.counts, [&](std::int64_t i, OpCounts& counts) {
        auto& a = attn[static_cast<std::size_t>(i)];
        for (auto& m : a) m = HeadMatrix<S>(Tq, 2 * D);
        for (std::int64_t block = 0; block < blocks; ++block) {
          const std::int64_t i0 = block * options.query_block;
          combined_block(maps, visibility, static_cast<S>(scale), static_cast<S>(lambda), i,
                         i / group, i0, std::min(Tq, i0 + options.query_block), per_map, a,
                         lse[static_cast<std::size_t>(i)], counts);
        }
      });
    }
    // o_i = (1 − λ_init)·RMSNorm_2D(a)·subln_weight, split back into HF heads 2i and 2i+1.
    for (std::int64_t i = 0; i < heads; ++i) {
      const auto& a = attn[static_cast<std::size_t>(i)];
      for (std::int64_t t = 0; t < Tq; ++t) {
        const std::size_t out = static_cast<std::size_t>((b * Tq + t) * heads + i);
        result.lse1[out] = static_cast<double>(lse[static_cast<std::size_t>(i)].at(t, 0));
        result.lse2[out] = static_cast<double>(lse[static_cast<std::size_t>(i)].at(t, 1));
        S mean_square{0};
        for (std::int64_t d = 0; d < 2 * D; ++d) mean_square += a[0].at(t, d) * a[0].at(t, d);
        mean_square /= static_cast<S>(2 * D);
        const S norm =
            static_cast<S>(1.0 - init) / std::sqrt(mean_square + static_cast<S>(options.subln_eps));
        for (std::int64_t d = 0; d < 2 * D; ++d) {
          const std::size_t flat =
              out * static_cast<std::size_t>(2 * D) + static_cast<std::size_t>(d);
          if (per_map) {
            result.attn1[flat] = static_cast<double>(a[1].at(t, d));
            result.attn2[flat] = static_cast<double>(a[2].at(t, d));
          }
          // Feature d of the differential head goes to HF head 2i + d // D, feature d % D.
          result.o[static_cast<std::size_t>(((b * Tq + t) * sh.H + 2 * i + d / D) * D + d % D)] =
              static_cast<double>(a[0].at(t, d) * norm *
                                  static_cast<S>(in.subln_weight[static_cast<std::size_t>(d)]));
        }
      }
    }
  }
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
