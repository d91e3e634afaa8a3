// Softmax attention core (mixers-spec §1). Stable softmax: p = exp(z − max) / Σ exp(z − max),
// lse = max + ln Σ exp(z − max).
#include "mixers/common/attention.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "mixers/common/parallel.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mixers {

bool Visibility::visible(std::int64_t i, std::int64_t j) const {
  const std::int64_t pq = q_positions[static_cast<std::size_t>(i)];
  const std::int64_t pk = k_positions[static_cast<std::size_t>(j)];
  return pk <= pq && (!window || pq - pk < *window);
}

std::pair<std::int64_t, std::int64_t> Visibility::key_range(std::int64_t i0,
                                                            std::int64_t i1) const {
  const std::int64_t lowest_query = q_positions[static_cast<std::size_t>(i0)];
  const std::int64_t highest_query = q_positions[static_cast<std::size_t>(i1 - 1)];
  const auto last = std::upper_bound(k_positions.begin(), k_positions.end(), highest_query);
  auto first = k_positions.begin();
  if (window) first = std::upper_bound(k_positions.begin(), last, lowest_query - *window);
  return {first - k_positions.begin(), last - k_positions.begin()};
}

Visibility default_visibility(std::int64_t Tq, std::int64_t Tk,
                              std::optional<std::int64_t> window) {
  Visibility v;
  v.window = window;
  for (std::int64_t i = 0; i < Tq; ++i) v.q_positions.push_back(Tk - Tq + i);
  for (std::int64_t j = 0; j < Tk; ++j) v.k_positions.push_back(j);
  return v;
}

namespace {
void require_increasing(const std::vector<std::int64_t>& positions, std::int64_t expected_size,
                        const char* name) {
  if (static_cast<std::int64_t>(positions.size()) != expected_size) {
    throw UserError(SourceLocation{}, name, std::to_string(expected_size) + " positions",
                    std::to_string(positions.size()));
  }
  for (std::size_t i = 1; i < positions.size(); ++i) {
    if (positions[i] <= positions[i - 1]) {
      throw UserError(SourceLocation{}, name, "strictly increasing positions",
                      std::to_string(positions[i - 1]) + " then " + std::to_string(positions[i]));
    }
  }
}
}  // namespace

void validate_visibility(const Visibility& visibility, std::int64_t Tq, std::int64_t Tk) {
  require_increasing(visibility.q_positions, Tq, "q_positions");
  require_increasing(visibility.k_positions, Tk, "k_positions");
  if (visibility.window && *visibility.window < 1) {
    throw UserError(SourceLocation{}, "window", "a window ≥ 1 (it counts the query itself)",
                    std::to_string(*visibility.window));
  }
}

KeySelection selection_from_indices(const IndexTensor& indices, std::int64_t b,
                                    const Visibility& visibility, bool gathered) {
  const std::int64_t Tq = static_cast<std::int64_t>(visibility.q_positions.size());
  const std::int64_t Tk = static_cast<std::int64_t>(visibility.k_positions.size());
  require_rank(indices.shape, 3, "selected_keys", "[B, Tq, k]");
  if (indices.dim(1) != Tq) {
    throw UserError(SourceLocation{}, "selected_keys", "Tq = " + std::to_string(Tq) + " rows",
                    shape_string(indices.shape));
  }
  const std::int64_t topk = indices.dim(2);
  KeySelection selection;
  selection.gathered = gathered;
  auto& keys = selection.keys;
  keys.resize(static_cast<std::size_t>(Tq));
  for (std::int64_t i = 0; i < Tq; ++i) {
    for (std::int64_t r = 0; r < topk; ++r) {
      const std::int64_t j = indices[static_cast<std::size_t>((b * Tq + i) * topk + r)];
      if (j < 0) continue;  // padding
      if (j >= Tk || !visibility.visible(i, j)) {
        throw UserError(SourceLocation{}, "selected_keys", "indices of keys visible to their query",
                        std::to_string(j));
      }
      keys[static_cast<std::size_t>(i)].push_back(j);
    }
  }
  return selection;
}

namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Replaces each row of masked scaled scores z [m, n] by exp(z − max) and returns per row
// 1 / Σ exp(z − max), which normalises the row (applied to z·V, [m, Dv], rather than to z), and
// the LSE, max + ln Σ exp(z − max). A row with no visible key becomes zeros, with LSE −inf and
// factor 0.
template <class S>
struct RowSoftmax {
  Eigen::Matrix<S, Eigen::Dynamic, 1> inverse_sum, lse;
};

template <class S>
RowSoftmax<S> exponentiate_rows(Mat<S>& z) {
  RowSoftmax<S> rows{Eigen::Matrix<S, Eigen::Dynamic, 1>(z.rows()),
                     Eigen::Matrix<S, Eigen::Dynamic, 1>(z.rows())};
  const S minus_inf = -std::numeric_limits<S>::infinity();
  for (Eigen::Index r = 0; r < z.rows(); ++r) {
    const S max = z.cols() > 0 ? z.row(r).maxCoeff() : minus_inf;
    if (max == minus_inf) {
      z.row(r).setZero();
      rows.inverse_sum(r) = 0;
      rows.lse(r) = minus_inf;
      continue;
    }
    z.row(r).array() -= max;
    exp_in_place(z.row(r).data(), z.cols());  // rows of the row-major z are contiguous
    const S sum = z.row(r).sum();
    rows.inverse_sum(r) = 1 / sum;
    rows.lse(r) = max + std::log(sum);
  }
  return rows;
}

// o = softmax(z) V for masked scores z (exponentiated in place).
template <class S>
Mat<S> softmax_times(Mat<S>& z, const Eigen::Ref<const Mat<S>>& v,
                     Eigen::Matrix<S, Eigen::Dynamic, 1>& lse) {
  const RowSoftmax<S> rows = exponentiate_rows(z);
  Mat<S> o(z.rows(), v.cols());
  o.noalias() = z * v;
  o = rows.inverse_sum.asDiagonal() * o;
  lse = rows.lse;
  return o;
}

// Query rows of the heads in kv group g, stacked head-major: row (hg·rows + r) is query i0 + r
// of head g·group + hg.
template <class S>
Mat<S> stack_group_queries(const AttentionHeads<S>& heads, std::int64_t g, std::int64_t group,
                           std::int64_t i0, std::int64_t rows) {
  const std::int64_t D = heads.q[0].cols;
  Mat<S> q(group * rows, D);
  for (std::int64_t hg = 0; hg < group; ++hg) {
    const auto& qh = heads.q[static_cast<std::size_t>(g * group + hg)];
    q.middleRows(hg * rows, rows) = rows_of(qh, i0, rows);
  }
  return q;
}

template <class S>
void store_group_outputs(const Mat<S>& o, const Eigen::Matrix<S, Eigen::Dynamic, 1>& lse,
                         std::int64_t g, std::int64_t group, std::int64_t i0, std::int64_t rows,
                         AttentionOutput<S>& out) {
  for (std::int64_t hg = 0; hg < group; ++hg) {
    const std::int64_t h = g * group + hg;
    auto& oh = out.o[static_cast<std::size_t>(h)];
    Eigen::Map<Mat<S>>(oh.row(i0), rows, oh.cols) = o.middleRows(hg * rows, rows);
    for (std::int64_t r = 0; r < rows; ++r) out.lse.at(i0 + r, h) = lse(hg * rows + r);
  }
}

// Sets the scores z [group·rows, n] of queries [i0, i0 + rows) against keys [first, first + n)
// to −inf where the key is not visible (all heads of the group). Positions increase, so a
// query's visible keys are one run, (pq − W, pq]: only the masked ends are touched.
template <class S>
void mask_invisible(Mat<S>& z, const Visibility& visibility, std::int64_t i0, std::int64_t rows,
                    std::int64_t first, std::int64_t n, std::int64_t group) {
  const S minus_inf = -std::numeric_limits<S>::infinity();
  const auto keys = visibility.k_positions.begin() + first;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t pq = visibility.q_positions[static_cast<std::size_t>(i0 + r)];
    const std::int64_t end = std::upper_bound(keys, keys + n, pq) - keys;
    const std::int64_t begin =
        visibility.window ? std::upper_bound(keys, keys + end, pq - *visibility.window) - keys : 0;
    for (std::int64_t hg = 0; hg < group; ++hg) {
      auto row = z.row(hg * rows + r);
      row.head(begin).setConstant(minus_inf);
      row.tail(n - end).setConstant(minus_inf);
    }
  }
}

// As mask_invisible for a DSA selection: −inf for the keys in [first, first + n) that a query
// does not list (its listed keys are visible: selection_from_indices checks). Each row is
// filled with −inf around its kept scores (saved and put back), which costs one pass over the
// row and none of the mispredicted branches of a test per key.
template <class S>
void mask_unselected(Mat<S>& z, const KeySelection& selection, std::int64_t i0, std::int64_t rows,
                     std::int64_t first, std::int64_t n, std::int64_t group) {
  const S minus_inf = -std::numeric_limits<S>::infinity();
  std::vector<std::int64_t> columns;
  std::vector<S> kept;
  for (std::int64_t r = 0; r < rows; ++r) {
    columns.clear();
    for (std::int64_t j : selection.keys[static_cast<std::size_t>(i0 + r)])
      if (j >= first && j < first + n) columns.push_back(j - first);
    kept.resize(columns.size());
    for (std::int64_t hg = 0; hg < group; ++hg) {
      S* row = z.row(hg * rows + r).data();
      for (std::size_t c = 0; c < columns.size(); ++c) kept[c] = row[columns[c]];
      std::fill(row, row + n, minus_inf);
      for (std::size_t c = 0; c < columns.size(); ++c) row[columns[c]] = kept[c];
    }
  }
}

// One query block against keys [first, last) of kv head g.
template <class S>
void attend_dense_block(const AttentionHeads<S>& heads, const Visibility& visibility,
                        const KeySelection* selection, S scale, std::int64_t g, std::int64_t group,
                        std::int64_t i0, std::int64_t i1, OpCounts& counts,
                        AttentionOutput<S>& out) {
  const auto [first, last] = visibility.key_range(i0, i1);
  const std::int64_t rows = i1 - i0, n = std::max<std::int64_t>(last - first, 0);
  const auto& kh = heads.k[static_cast<std::size_t>(g)];
  const auto& vh = heads.v[static_cast<std::size_t>(g)];
  const Mat<S> q = scale * stack_group_queries(heads, g, group, i0, rows);  // scale folded in
  Mat<S> z(q.rows(), n);
  z.noalias() = q * rows_of(kh, first, n).transpose();
  if (selection)
    mask_unselected(z, *selection, i0, rows, first, n, group);
  else
    mask_invisible(z, visibility, i0, rows, first, n, group);
  Eigen::Matrix<S, Eigen::Dynamic, 1> lse;
  const Mat<S> o = softmax_times<S>(z, rows_of(vh, first, n), lse);
  counts.add("scores", group * rows * n * kh.cols);
  counts.add("av", group * rows * n * vh.cols);
  store_group_outputs(o, lse, g, group, i0, rows, out);
}

// Queries per task of the gathered form (one small product each).
constexpr std::int64_t kGatheredQueriesPerTask = 64;

// One query against its selected keys for kv head g.
template <class S>
void attend_selected_query(const AttentionHeads<S>& heads, const std::vector<std::int64_t>& keys,
                           S scale, std::int64_t g, std::int64_t group, std::int64_t i,
                           OpCounts& counts, AttentionOutput<S>& out) {
  const auto& kh = heads.k[static_cast<std::size_t>(g)];
  const auto& vh = heads.v[static_cast<std::size_t>(g)];
  const std::int64_t n = static_cast<std::int64_t>(keys.size());
  Mat<S> k(n, kh.cols), v(n, vh.cols);
  for (std::int64_t j = 0; j < n; ++j) {
    k.row(j) = rows_of(kh, keys[static_cast<std::size_t>(j)], 1);
    v.row(j) = rows_of(vh, keys[static_cast<std::size_t>(j)], 1);
  }
  const Mat<S> q = scale * stack_group_queries(heads, g, group, i, 1);
  Mat<S> z(q.rows(), n);
  z.noalias() = q * k.transpose();
  Eigen::Matrix<S, Eigen::Dynamic, 1> lse;
  const Mat<S> o = softmax_times<S>(z, v, lse);
  counts.add("scores", group * n * kh.cols);
  counts.add("av", group * n * vh.cols);
  store_group_outputs(o, lse, g, group, i, 1, out);
}

}  // namespace

template <class S>
AttentionOutput<S> attend(const AttentionHeads<S>& heads, const Visibility& visibility,
                          double scale, std::int64_t query_block, const KeySelection* selection,
                          OpCounts& counts) {
  const std::int64_t Hq = static_cast<std::int64_t>(heads.q.size());
  const std::int64_t Hkv = static_cast<std::int64_t>(heads.k.size());
  ATTNSIM_ASSERT(Hkv > 0 && Hq % Hkv == 0, "head grouping");
  ATTNSIM_ASSERT(query_block >= 1, "query block");
  const std::int64_t Tq = heads.q[0].rows, Dv = heads.v[0].cols, group = Hq / Hkv;
  AttentionOutput<S> out;
  out.o.assign(static_cast<std::size_t>(Hq), HeadMatrix<S>(Tq, Dv));
  out.lse = HeadMatrix<S>(Tq, Hq);
  // Tasks: (kv head, block of queries), the blocks with the most keys first so that the
  // threads finish together. Each task writes its own rows of the outputs.
  const bool gathered = selection && selection->gathered;
  const std::int64_t block = gathered ? kGatheredQueriesPerTask : query_block;
  const std::int64_t blocks = (Tq + block - 1) / block;
  parallel_for_counted(Hkv * blocks, counts, [&](std::int64_t task, OpCounts& task_counts) {
    const std::int64_t g = task % Hkv, i0 = (blocks - 1 - task / Hkv) * block;
    const std::int64_t i1 = std::min(Tq, i0 + block);
    if (!gathered) {
      attend_dense_block(heads, visibility, selection, static_cast<S>(scale), g, group, i0, i1,
                         task_counts, out);
      return;
    }
    for (std::int64_t i = i0; i < i1; ++i) {
      attend_selected_query(heads, selection->keys[static_cast<std::size_t>(i)],
                            static_cast<S>(scale), g, group, i, task_counts, out);
    }
  });
  return out;
}

template AttentionOutput<float> attend(const AttentionHeads<float>&, const Visibility&, double,
                                       std::int64_t, const KeySelection*, OpCounts&);
template AttentionOutput<double> attend(const AttentionHeads<double>&, const Visibility&, double,
                                        std::int64_t, const KeySelection*, OpCounts&);

}  // namespace attnsim::mixers
