// Reference causal softmax attention (mixers-spec §1) on top of the shared attention core.
#include "mixers/softmax_attn/reference.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "mixers/common/attention.h"

namespace attnsim::softmax_attn {
namespace {

using mixers::AttentionHeads;
using mixers::KeySelection;
using mixers::Visibility;

mixers::Visibility visibility_of(const Inputs& in, const Options& options) {
  const std::int64_t Tq = in.q.dim(1), Tk = in.k.dim(1);
  Visibility visibility = mixers::default_visibility(Tq, Tk, options.window);
  if (!in.q_positions.empty()) visibility.q_positions = in.q_positions;
  if (!in.k_positions.empty()) visibility.k_positions = in.k_positions;
  mixers::validate_visibility(visibility, Tq, Tk);
  return visibility;
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& shapes) {
  const std::int64_t B = in.q.dim(0), Tq = in.q.dim(1);
  const Visibility visibility = visibility_of(in, options);
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(shapes.D)));
  Result result;
  result.o = Tensor({B, Tq, shapes.Hq, shapes.Dv});
  result.lse = Tensor({B, Tq, shapes.Hq});
  for (std::int64_t b = 0; b < B; ++b) {
    AttentionHeads<S> heads;
    for (std::int64_t h = 0; h < shapes.Hq; ++h) heads.q.push_back(heads.of_tensor(in.q, b, h));
    for (std::int64_t g = 0; g < shapes.Hkv; ++g) {
      heads.k.push_back(heads.of_tensor(in.k, b, g));
      heads.v.push_back(heads.of_tensor(in.v, b, g));
    }
    KeySelection selection;
    if (options.selected_keys) {
      selection = mixers::selection_from_indices(*options.selected_keys, b, visibility,
                                                 options.gather_selected_keys);
    }
    const auto out = mixers::attend(heads, visibility, scale, options.query_block,
                                    options.selected_keys ? &selection : nullptr, result.counts);
    for (std::int64_t h = 0; h < shapes.Hq; ++h) {
      mixers::scatter_head(out.o[static_cast<std::size_t>(h)], result.o, b, h);
      for (std::int64_t i = 0; i < Tq; ++i) {
        result.lse[static_cast<std::size_t>((b * Tq + i) * shapes.Hq + h)] = out.lse.at(i, h);
      }
    }
  }
  result.cache_elements = static_cast<std::int64_t>(in.k.size() + in.v.size());
  return result;
}

// The last `keep` tokens of a [B, L, H, D] tensor.
Tensor last_tokens(const Tensor& x, std::int64_t keep) {
  const std::int64_t B = x.dim(0), L = x.dim(1), row = x.dim(2) * x.dim(3);
  Tensor kept({B, keep, x.dim(2), x.dim(3)});
  for (std::int64_t b = 0; b < B; ++b) {
    std::copy_n(x.data.begin() + (b * L + L - keep) * row, keep * row,
                kept.data.begin() + b * keep * row);
  }
  return kept;
}

// Concatenates [B, L1, H, D] and [B, L2, H, D] along tokens.
Tensor concat_tokens(const Tensor& a, const Tensor& b) {
  if (a.empty()) return b;
  const std::int64_t B = a.dim(0), L1 = a.dim(1), L2 = b.dim(1), row = a.dim(2) * a.dim(3);
  require_shape(b.shape, {B, L2, a.dim(2), a.dim(3)}, "new keys/values", "B,T,Hkv,D");
  Tensor joined({B, L1 + L2, a.dim(2), a.dim(3)});
  for (std::int64_t i = 0; i < B; ++i) {
    auto out = joined.data.begin() + i * (L1 + L2) * row;
    out = std::copy_n(a.data.begin() + i * L1 * row, L1 * row, out);
    std::copy_n(b.data.begin() + i * L2 * row, L2 * row, out);
  }
  return joined;
}

}  // namespace

Shapes shapes_of(const Tensor& q, const Tensor& k, const Tensor& v) {
  require_rank(q.shape, 4, "q", "[B, Tq, Hq, D]");
  require_rank(k.shape, 4, "k", "[B, Tk, Hkv, D]");
  require_rank(v.shape, 4, "v", "[B, Tk, Hkv, Dv]");
  const Shapes shapes{q.dim(2), k.dim(2), q.dim(3), v.dim(3)};
  const std::int64_t B = q.dim(0), Tk = k.dim(1);
  require_shape(k.shape, {B, Tk, shapes.Hkv, shapes.D}, "k", "B,Tk,Hkv,D");
  require_shape(v.shape, {B, Tk, shapes.Hkv, shapes.Dv}, "v", "B,Tk,Hkv,Dv");
  if (shapes.Hkv < 1 || shapes.Hq % shapes.Hkv != 0) {
    throw UserError(SourceLocation{}, "Hq", "a multiple of Hkv = " + std::to_string(shapes.Hkv),
                    std::to_string(shapes.Hq));
  }
  if (q.dim(1) > Tk) {
    throw UserError(SourceLocation{}, "Tq", "Tq ≤ Tk = " + std::to_string(Tk),
                    std::to_string(q.dim(1)));
  }
  return shapes;
}

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = shapes_of(inputs.q, inputs.k, inputs.v);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

Result run_with_cache(KvCache& cache, const Tensor& q, const Tensor& k_new, const Tensor& v_new,
                      const Options& options) {
  if (q.rank() != 4 || k_new.rank() != 4 || q.dim(1) != k_new.dim(1)) {
    throw UserError(SourceLocation{}, "q", "one query per new token [B, Tn, Hq, D]",
                    "q " + shape_string(q.shape) + ", k_new " + shape_string(k_new.shape));
  }
  const std::int64_t start = cache.positions.empty() ? 0 : cache.positions.back() + 1;
  cache.k = concat_tokens(cache.k, k_new);
  cache.v = concat_tokens(cache.v, v_new);
  for (std::int64_t t = 0; t < k_new.dim(1); ++t) cache.positions.push_back(start + t);
  Inputs inputs{q.borrowed(), cache.k.borrowed(), cache.v.borrowed(), {}, cache.positions};
  inputs.q_positions.assign(cache.positions.end() - q.dim(1), cache.positions.end());
  Result result = run(inputs, options);
  const std::int64_t held = cache.k.dim(1);
  if (options.window && held > *options.window) {
    cache.k = last_tokens(cache.k, *options.window);
    cache.v = last_tokens(cache.v, *options.window);
    cache.positions.erase(cache.positions.begin(), cache.positions.end() - *options.window);
  }
  result.cache_elements = cache.elements();
  return result;
}

}  // namespace attnsim::softmax_attn
