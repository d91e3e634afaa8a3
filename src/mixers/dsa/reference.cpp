// DSA (mixers-spec §3): lightning indexer, top-k selection, sparse attention.
#include "mixers/dsa/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "mixers/common/attention.h"
#include "mixers/common/parallel.h"
#include "mixers/common/rope.h"
#include "mixers/common/top_k.h"

namespace attnsim::dsa {
namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A tensor's values at the indexer's precision: its own buffer in float64, a rounded copy in
// float32 (the rotated queries and keys, rounded once rather than per product).
template <class S>
class ValuesAt {
 public:
  explicit ValuesAt(const Tensor& x) {
    if constexpr (std::is_same_v<S, double>) {
      data_ = x.data.data();
    } else {
      copy_.assign(x.data.begin(), x.data.end());
      data_ = copy_.data();
    }
  }
  ValuesAt(const ValuesAt&) = delete;
  ValuesAt& operator=(const ValuesAt&) = delete;
  const S* data() const { return data_; }

 private:
  std::vector<S> copy_;
  const S* data_ = nullptr;
};

void validate(const IndexerInputs& in, const IndexerOptions& options) {
  require_rank(in.index_q.shape, 4, "index_q", "[B, Tq, HI, dI]");
  require_rank(in.index_k.shape, 3, "index_k", "[B, Tk, dI]");
  const std::int64_t B = in.index_q.dim(0), Tq = in.index_q.dim(1), HI = in.index_q.dim(2);
  const std::int64_t dI = in.index_q.dim(3);
  require_shape(in.index_k.shape, {B, in.index_k.dim(1), dI}, "index_k", "B,Tk,dI");
  require_shape(in.index_w.shape, {B, Tq, HI}, "index_w", "B,Tq,HI");
  if (options.topk < 1)
    throw UserError(SourceLocation{}, "topk", "≥ 1", std::to_string(options.topk));
  if (options.rope_dim < 0 || options.rope_dim % 2 != 0 || options.rope_dim > dI) {
    throw UserError(SourceLocation{}, "index_rope_dim",
                    "an even number ≤ dI = " + std::to_string(dI),
                    std::to_string(options.rope_dim));
  }
}

// Half-split RoPE on the first rope_dim features of every dI-vector of x (rope part first).
Tensor rotated(const Tensor& x, const std::vector<std::int64_t>& positions, std::int64_t per_token,
               const IndexerOptions& options) {
  Tensor out = x;
  if (options.rope_dim == 0) return out;
  const std::int64_t dI = x.shape.back(), T = static_cast<std::int64_t>(positions.size());
  const std::int64_t tokens = static_cast<std::int64_t>(x.size()) / (dI * per_token);
  for (std::int64_t t = 0; t < tokens; ++t) {  // t runs over the batch's tokens
    const double position = static_cast<double>(positions[static_cast<std::size_t>(t % T)]);
    mixers::apply_rope_rows(out.data.data() + t * per_token * dI, per_token, dI, options.rope_dim,
                            position, options.rope_theta, mixers::RopeStyle::half_split);
  }
  return out;
}

// Query i's visible keys within [0, hi): one run [begin, end), as positions increase.
std::pair<std::int64_t, std::int64_t> visible_run(const mixers::Visibility& vis, std::int64_t i,
                                                  std::int64_t hi) {
  const std::int64_t end = std::min(vis.key_range(i, i + 1).second, hi);
  return {std::min(vis.key_range(i, i + 1).first, end), end};
}

// Keys per tile of the indexer's scores (a [64, 256] float64 product is 128 KiB).
constexpr std::int64_t kKeyTile = 256;

// Scores of queries [i0, i1) of batch b against keys [0, hi); −inf where not visible. The
// rotated queries and keys are read at precision S (q_rot, k_rot), the sums are in S.
template <class S>
Mat<S> block_scores(const ValuesAt<S>& q_rot, const ValuesAt<S>& k_rot, const IndexerInputs& in,
                    const mixers::Visibility& vis, const IndexerOptions& options, std::int64_t b,
                    std::int64_t i0, std::int64_t i1, std::int64_t hi, OpCounts& counts) {
  const std::int64_t Tq = in.index_q.dim(1), HI = in.index_q.dim(2), dI = in.index_q.dim(3);
  const std::int64_t Tk = in.index_k.dim(1), rows = i1 - i0;
  const double index_scale = options.index_scale.value_or(1.0 / std::sqrt(static_cast<double>(dI)));
  const double weight_scale =
      options.weight_scale.value_or(1.0 / std::sqrt(static_cast<double>(HI)));
  const Eigen::Map<const Mat<S>> keys(k_rot.data() + b * Tk * dI, hi, dI);
  Mat<S> weights(HI, rows);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t h = 0; h < HI; ++h)
      weights(h, r) = static_cast<S>(
          in.index_w[static_cast<std::size_t>((b * Tq + i0 + r) * HI + h)] * weight_scale);
  Mat<S> scores = Mat<S>::Zero(rows, hi);
  Mat<S> product;
  // Keys a tile at a time, so that each head's [rows, tile] product is still in cache when its
  // ReLU and weight are applied (the heads are summed in order, as one pass over all keys would).
  for (std::int64_t j0 = 0; j0 < hi; j0 += kKeyTile) {
    const std::int64_t n = std::min(kKeyTile, hi - j0);
    for (std::int64_t h = 0; h < HI; ++h) {
      const Eigen::Map<const Mat<S>, 0, Eigen::OuterStride<>> q(
          q_rot.data() + ((b * Tq + i0) * HI + h) * dI, rows, dI, Eigen::OuterStride<>(HI * dI));
      product.noalias() = static_cast<S>(index_scale) * (q * keys.middleRows(j0, n).transpose());
      // ReLU per head before the weighted head sum (mixers-spec §3).
      for (std::int64_t r = 0; r < rows; ++r) {
        const S w = weights(h, r);
        const S* p = product.row(r).data();
        S* out = scores.row(r).data() + j0;
        for (std::int64_t j = 0; j < n; ++j) out[j] += w * std::max(p[j], S{0});
      }
    }
  }
  counts.add("index_scores", HI * rows * hi * dI);
  counts.add("index_weights", HI * rows * hi);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto [begin, end] = visible_run(vis, i0 + r, hi);
    scores.row(r).head(begin).setConstant(-std::numeric_limits<S>::infinity());
    scores.row(r).tail(hi - end).setConstant(-std::numeric_limits<S>::infinity());
  }
  return scores;
}

mixers::Visibility visibility_of(const IndexerInputs& in) {
  const std::int64_t Tq = in.index_q.dim(1), Tk = in.index_k.dim(1);
  mixers::Visibility vis = mixers::default_visibility(Tq, Tk, std::nullopt);
  if (!in.q_positions.empty()) vis.q_positions = in.q_positions;
  if (!in.k_positions.empty()) vis.k_positions = in.k_positions;
  mixers::validate_visibility(vis, Tq, Tk);
  return vis;
}

template <class AttentionResult>
Result combine(Selection selection, AttentionResult attention, std::int64_t index_key_elements) {
  Result result;
  result.o = std::move(attention.o);
  result.lse = std::move(attention.lse);
  result.counts = selection.counts;
  result.counts.merge(attention.counts);
  result.cache_elements = attention.cache_elements + index_key_elements;
  result.selection = std::move(selection);
  return result;
}

// The indexer's scores at precision S (rotations in float64, then rounded once) and top-k.
template <class S>
Selection run_indexer_at(const IndexerInputs& in, const IndexerOptions& options) {
  const mixers::Visibility vis = visibility_of(in);
  const std::int64_t B = in.index_q.dim(0), Tq = in.index_q.dim(1), Tk = in.index_k.dim(1);
  Selection sel;
  sel.index_q_rot = rotated(in.index_q, vis.q_positions, in.index_q.dim(2), options);
  sel.index_k_rot = rotated(in.index_k, vis.k_positions, 1, options);
  const ValuesAt<S> q_rot(sel.index_q_rot), k_rot(sel.index_k_rot);
  sel.index_scores = Tensor({B, Tq, Tk}, -std::numeric_limits<double>::infinity());
  sel.topk_indices = IndexTensor({B, Tq, options.topk}, -1);
  sel.selected = IndexTensor({B, Tq, Tk}, 0);
  // One task per (sequence, query block), the blocks with the most keys first; each task
  // writes its own rows of the outputs.
  const std::int64_t blocks = (Tq + options.query_block - 1) / options.query_block;
  mixers::parallel_for_counted(B * blocks, sel.counts, [&](std::int64_t task, OpCounts& counts) {
    const std::int64_t b = task % B, i0 = (blocks - 1 - task / B) * options.query_block;
    const std::int64_t i1 = std::min(Tq, i0 + options.query_block);
    const std::int64_t hi = vis.key_range(i0, i1).second;
    const Mat<S> scores = block_scores(q_rot, k_rot, in, vis, options, b, i0, i1, hi, counts);
    for (std::int64_t i = i0; i < i1; ++i) {
      double* row = sel.index_scores.data.data() + (b * Tq + i) * Tk;
      Eigen::Map<Eigen::RowVectorXd>(row, hi) = scores.row(i - i0).template cast<double>();
      // min(topk, #visible) visible keys by score descending, ties to the lower index.
      const auto [begin, end] = visible_run(vis, i, hi);
      const auto keys = mixers::top_k(scores.row(i - i0).data() + begin, end - begin, options.topk);
      for (std::size_t r = 0; r < keys.size(); ++r) {
        const std::int64_t key = begin + keys[r];
        sel.topk_indices[static_cast<std::size_t>((b * Tq + i) * options.topk) + r] = key;
        sel.selected[static_cast<std::size_t>((b * Tq + i) * Tk + key)] = 1;
      }
    }
  });
  return sel;
}

}  // namespace

Selection run_indexer(const IndexerInputs& in, const IndexerOptions& options) {
  validate(in, options);
  return options.precision == Precision::float32 ? run_indexer_at<float>(in, options)
                                                 : run_indexer_at<double>(in, options);
}

Result run_on_attention(const IndexerInputs& indexer, const IndexerOptions& indexer_options,
                        softmax_attn::Inputs attention, softmax_attn::Options attention_options) {
  Selection selection = run_indexer(indexer, indexer_options);
  if (attention.q_positions.empty()) attention.q_positions = visibility_of(indexer).q_positions;
  if (attention.k_positions.empty()) attention.k_positions = visibility_of(indexer).k_positions;
  attention_options.selected_keys = &selection.topk_indices;
  const std::int64_t index_keys = static_cast<std::int64_t>(indexer.index_k.size());
  auto main = softmax_attn::run(attention, attention_options);  // before `selection` moves
  return combine(std::move(selection), std::move(main), index_keys);
}

Result run_on_mla(const IndexerInputs& indexer, const IndexerOptions& indexer_options,
                  mla::Inputs attention, mla::Options attention_options) {
  Selection selection = run_indexer(indexer, indexer_options);
  if (attention.q_positions.empty()) attention.q_positions = visibility_of(indexer).q_positions;
  if (attention.k_positions.empty()) attention.k_positions = visibility_of(indexer).k_positions;
  attention_options.selected_keys = &selection.topk_indices;
  const std::int64_t index_keys = static_cast<std::int64_t>(indexer.index_k.size());
  auto main = mla::run(attention, attention_options);  // before `selection` moves
  return combine(std::move(selection), std::move(main), index_keys);
}

}  // namespace attnsim::dsa
