// MLA (mixers-spec §2). Naive: k_h = [W_UK[h] c ; RoPE(k_pe)], v_h = W_UV[h] c, MHA over them.
// Absorbed: q̃_h = W_UK[h]ᵀ q_nope, MQA over keys [c ; RoPE(k_pe)] and values c, then
// o_h = W_UV[h] (attention output in the latent).
#include "mixers/mla/reference.h"

#include <Eigen/Dense>
#include <cmath>

#include "core/error.h"
#include "mixers/common/attention.h"
#include "mixers/common/parallel.h"

namespace attnsim::mla {
namespace {

using mixers::HeadMatrix;
template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using ConstMap = Eigen::Map<const Mat<S>>;

Shapes validate(const Inputs& in) {
  require_rank(in.q_nope.shape, 4, "q_nope", "[B, Tq, H, dn]");
  require_rank(in.q_pe.shape, 4, "q_pe", "[B, Tq, H, dr]");
  require_rank(in.c_kv.shape, 3, "c_kv", "[B, Tk, dc]");
  require_rank(in.w_uv.shape, 3, "w_uv", "[H, dv, dc]");
  const std::int64_t B = in.q_nope.dim(0), Tq = in.q_nope.dim(1), Tk = in.c_kv.dim(1);
  const Shapes s{in.q_nope.dim(2), in.q_nope.dim(3), in.q_pe.dim(3), in.w_uv.dim(1),
                 in.c_kv.dim(2)};
  require_shape(in.q_pe.shape, {B, Tq, s.H, s.dr}, "q_pe", "B,Tq,H,dr");
  require_shape(in.c_kv.shape, {B, Tk, s.dc}, "c_kv", "B,Tk,dc");
  require_shape(in.k_pe.shape, {B, Tk, s.dr}, "k_pe", "B,Tk,dr");
  require_shape(in.w_uk.shape, {s.H, s.dn, s.dc}, "w_uk", "H,dn,dc");
  require_shape(in.w_uv.shape, {s.H, s.dv, s.dc}, "w_uv", "H,dv,dc");
  if (s.dr % 2 != 0)
    throw UserError(SourceLocation{}, "dr", "an even rope dim", std::to_string(s.dr));
  return s;
}

// RoPE on the last axis of x [..., T, (heads,) dr] at the token positions; `per_token` rows
// share one position.
Tensor rotated(const Tensor& x, const std::vector<std::int64_t>& positions, std::int64_t per_token,
               const Options& options) {
  Tensor out = x;
  if (!options.use_rope) return out;
  const std::int64_t dr = x.shape.back(), T = static_cast<std::int64_t>(positions.size());
  const std::int64_t tokens = static_cast<std::int64_t>(x.size()) / (dr * per_token);
  for (std::int64_t t = 0; t < tokens; ++t) {  // t runs over the batch's tokens
    const double position = static_cast<double>(positions[static_cast<std::size_t>(t % T)]);
    mixers::apply_rope_rows(out.data.data() + t * per_token * dr, per_token, dr, dr, position,
                            options.rope_theta, options.rope_style);
  }
  return out;
}

template <class S>
HeadMatrix<S> concat_columns(const Mat<S>& left, const HeadMatrix<S>& right) {
  HeadMatrix<S> m(left.rows(), left.cols() + right.cols);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t c = 0; c < left.cols(); ++c) m.at(r, c) = left(r, c);
    for (std::int64_t c = 0; c < right.cols; ++c) m.at(r, left.cols() + c) = right.at(r, c);
  }
  return m;
}

template <class S>
using BlockMap = Eigen::Map<Mat<S>, 0, Eigen::OuterStride<>>;

// Columns [c0, c0 + cols) of a head matrix, as an Eigen block that products write into.
template <class S>
BlockMap<S> columns(HeadMatrix<S>& m, std::int64_t c0, std::int64_t cols) {
  return BlockMap<S>(m.data.data() + c0, m.rows, cols, Eigen::OuterStride<>(m.cols));
}

// The [rows, dc] weight of head h of w [H, rows, dc].
template <class S>
Mat<S> head_weight(const Tensor& w, std::int64_t h) {
  const std::int64_t rows = w.dim(1), dc = w.dim(2);
  return ConstMap<double>(w.data.data() + h * rows * dc, rows, dc).template cast<S>();
}

struct Rotated {
  Tensor q_pe, k_pe;
};

// Per head: q = [q_nope | RoPE(q_pe)], k = [c W_UKᵀ | RoPE(k_pe)] and v = c W_UVᵀ, the
// up-projections written straight into the head matrices' columns.
template <class S>
mixers::AttentionHeads<S> naive_heads(const Inputs& in, const Rotated& rot, const Shapes& s,
                                      std::int64_t b, OpCounts& counts) {
  const HeadMatrix<S> c_rows = mixers::gather_shared<S>(in.c_kv, b);
  const ConstMap<S> c(c_rows.data.data(), c_rows.rows, s.dc);
  const HeadMatrix<S> k_pe = mixers::gather_shared<S>(rot.k_pe, b);
  std::vector<HeadMatrix<S>> qs(static_cast<std::size_t>(s.H)), ks(qs.size()), vs(qs.size());
  mixers::parallel_for_counted(s.H, counts, [&](std::int64_t h, OpCounts& head_counts) {
    const auto i = static_cast<std::size_t>(h);
    const std::int64_t Tq = in.q_nope.dim(1), Tk = c.rows();
    HeadMatrix<S>& q = qs[i] = HeadMatrix<S>(Tq, s.dn + s.dr);
    columns(q, 0, s.dn) =
        ConstMap<S>(mixers::gather_head<S>(in.q_nope, b, h).data.data(), Tq, s.dn);
    columns(q, s.dn, s.dr) =
        ConstMap<S>(mixers::gather_head<S>(rot.q_pe, b, h).data.data(), Tq, s.dr);
    HeadMatrix<S>& k = ks[i] = HeadMatrix<S>(Tk, s.dn + s.dr);
    columns(k, 0, s.dn).noalias() = c * head_weight<S>(in.w_uk, h).transpose();
    columns(k, s.dn, s.dr) = ConstMap<S>(k_pe.data.data(), Tk, s.dr);
    HeadMatrix<S>& v = vs[i] = HeadMatrix<S>(Tk, s.dv);
    columns(v, 0, s.dv).noalias() = c * head_weight<S>(in.w_uv, h).transpose();
    head_counts.add("kv_expansion", Tk * s.dc * (s.dn + s.dv));
  });
  mixers::AttentionHeads<S> heads;
  for (std::size_t i = 0; i < qs.size(); ++i) {
    heads.q.push_back(heads.keep(std::move(qs[i])));
    heads.k.push_back(heads.keep(std::move(ks[i])));
    heads.v.push_back(heads.keep(std::move(vs[i])));
  }
  return heads;
}

template <class S>
mixers::AttentionHeads<S> absorbed_heads(const Inputs& in, const Rotated& rot, const Shapes& s,
                                         std::int64_t b, OpCounts& counts) {
  HeadMatrix<S> c = mixers::gather_shared<S>(in.c_kv, b);
  const Mat<S> c_mat = ConstMap<S>(c.data.data(), c.rows, c.cols);
  std::vector<HeadMatrix<S>> qs(static_cast<std::size_t>(s.H));
  mixers::parallel_for_counted(s.H, counts, [&](std::int64_t h, OpCounts& head_counts) {
    const Mat<S> q_nope =
        ConstMap<S>(mixers::gather_head<S>(in.q_nope, b, h).data.data(), in.q_nope.dim(1), s.dn);
    qs[static_cast<std::size_t>(h)] = concat_columns<S>(q_nope * head_weight<S>(in.w_uk, h),
                                                        mixers::gather_head<S>(rot.q_pe, b, h));
    head_counts.add("q_absorption", q_nope.rows() * s.dn * s.dc);
  });
  mixers::AttentionHeads<S> heads;
  for (HeadMatrix<S>& q : qs) heads.q.push_back(heads.keep(std::move(q)));
  heads.k.push_back(heads.keep(concat_columns<S>(c_mat, mixers::gather_shared<S>(rot.k_pe, b))));
  heads.v.push_back(heads.keep(std::move(c)));
  return heads;
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& s) {
  const std::int64_t B = in.q_nope.dim(0), Tq = in.q_nope.dim(1), Tk = in.c_kv.dim(1);
  mixers::Visibility visibility = mixers::default_visibility(Tq, Tk, std::nullopt);
  if (!in.q_positions.empty()) visibility.q_positions = in.q_positions;
  if (!in.k_positions.empty()) visibility.k_positions = in.k_positions;
  mixers::validate_visibility(visibility, Tq, Tk);
  const Rotated rot{rotated(in.q_pe, visibility.q_positions, s.H, options),
                    rotated(in.k_pe, visibility.k_positions, 1, options)};
  const double scale = options.scale.value_or(options.mscale * options.mscale /
                                              std::sqrt(static_cast<double>(s.dn + s.dr)));
  Result result;
  result.o = Tensor({B, Tq, s.H, s.dv});
  result.lse = Tensor({B, Tq, s.H});
  for (std::int64_t b = 0; b < B; ++b) {
    const bool naive = options.form == Form::naive;
    const auto heads = naive ? naive_heads<S>(in, rot, s, b, result.counts)
                             : absorbed_heads<S>(in, rot, s, b, result.counts);
    mixers::KeySelection selection;
    if (options.selected_keys)
      selection = mixers::selection_from_indices(*options.selected_keys, b, visibility,
                                                 options.gather_selected_keys);
    const auto out = mixers::attend(heads, visibility, scale, options.query_block,
                                    options.selected_keys ? &selection : nullptr, result.counts);
    mixers::parallel_for_counted(s.H, result.counts, [&](std::int64_t h, OpCounts& counts) {
      const auto& o = out.o[static_cast<std::size_t>(h)];
      if (naive) {
        mixers::scatter_head(o, result.o, b, h);
      } else {
        HeadMatrix<S> o_head(Tq, s.dv);
        columns(o_head, 0, s.dv).noalias() =
            ConstMap<S>(o.data.data(), Tq, s.dc) * head_weight<S>(in.w_uv, h).transpose();
        counts.add("output_projection", Tq * s.dc * s.dv);
        mixers::scatter_head(o_head, result.o, b, h);
      }
      for (std::int64_t i = 0; i < Tq; ++i) {
        result.lse[static_cast<std::size_t>((b * Tq + i) * s.H + h)] =
            static_cast<double>(out.lse.at(i, h));
      }
    });
  }
  result.q_pe_rot = rot.q_pe;
  result.k_pe_rot = rot.k_pe;
  result.cache_elements = B * kv_cache_elements(s, Tk);
  return result;
}

}  // namespace

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

std::pair<Tensor, Tensor> split_wkv_b(const Tensor& w_kv_b, std::int64_t H, std::int64_t dn,
                                      std::int64_t dv) {
  require_rank(w_kv_b.shape, 2, "w_kv_b", "[H·(dn+dv), dc]");
  const std::int64_t dc = w_kv_b.dim(1);
  require_shape(w_kv_b.shape, {H * (dn + dv), dc}, "w_kv_b", "H*(dn+dv),dc");
  Tensor w_uk({H, dn, dc}), w_uv({H, dv, dc});
  for (std::int64_t h = 0; h < H; ++h) {  // viewed [H, dn+dv, dc]: rows :dn W_UK, dn: W_UV
    const auto head = w_kv_b.data.begin() + h * (dn + dv) * dc;
    std::copy(head, head + dn * dc, w_uk.data.begin() + h * dn * dc);
    std::copy(head + dn * dc, head + (dn + dv) * dc, w_uv.data.begin() + h * dv * dc);
  }
  return {w_uk, w_uv};
}

}  // namespace attnsim::mla
