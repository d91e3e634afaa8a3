// Causal softmax attention core shared by softmax_attn, gated_attn, MLA (both forms) and DSA
// (mixers-spec §1): GQA/MQA head grouping h // (Hq/Hkv), bottom-right causal alignment through
// explicit positions, sliding window, optional per-query key selection (DSA), natural-log LSE.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <deque>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/op_counts.h"
#include "mixers/common/head_matrix.h"

namespace attnsim::mixers {

// Which keys a query may see: pk[j] ≤ pq[i] and, with a window W, pq[i] − pk[j] < W.
// Positions must be strictly increasing (checked by validate_positions).
struct Visibility {
  std::vector<std::int64_t> q_positions;
  std::vector<std::int64_t> k_positions;
  std::optional<std::int64_t> window;

  bool visible(std::int64_t i, std::int64_t j) const;
  // [first, last) keys visible to at least one query in [i0, i1).
  std::pair<std::int64_t, std::int64_t> key_range(std::int64_t i0, std::int64_t i1) const;
};

// Bottom-right aligned defaults: query i at Tk − Tq + i, key j at j.
Visibility default_visibility(std::int64_t Tq, std::int64_t Tk, std::optional<std::int64_t> window);

// Throws UserError unless positions are strictly increasing and the window is ≥ 1.
void validate_visibility(const Visibility& visibility, std::int64_t Tq, std::int64_t Tk);

// Keys chosen for each query (DSA top-k); attention is restricted to them, either by masking
// the dense blocked product (V3.2's prefill: "MHA form with an additive sparse mask") or by
// gathering only the selected keys (the work of mixers-spec §3's cost formulas).
struct KeySelection {
  std::vector<std::vector<std::int64_t>> keys;  // [Tq][n_i]
  bool gathered = false;
};

// The selection of batch b from indices [B, Tq, k] padded with −1. Throws UserError for an index
// that is out of range or not visible to its query.
KeySelection selection_from_indices(const IndexTensor& indices, std::int64_t b,
                                    const Visibility& visibility, bool gathered);

// Rows [first, first + n) of a head, where they lie, as a row-major Eigen matrix.
template <class S>
using HeadRowsMap =
    Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
               Eigen::OuterStride<>>;
template <class S>
HeadRowsMap<S> rows_of(const HeadView<S>& head, std::int64_t first, std::int64_t n) {
  return {n > 0 ? head.row(first) : head.first, n, head.cols, Eigen::OuterStride<>(head.stride)};
}

// The heads of one batch element, as views: of the inputs where they are read in place, or of
// heads made for the attention (converted to float32, or computed), which it keeps.
template <class S>
class AttentionHeads {
 public:
  std::vector<HeadView<S>> q;  // Hq × [Tq, D]
  std::vector<HeadView<S>> k;  // Hkv × [Tk, D]
  std::vector<HeadView<S>> v;  // Hkv × [Tk, Dv]

  AttentionHeads() = default;
  AttentionHeads(AttentionHeads&&) noexcept = default;
  AttentionHeads& operator=(AttentionHeads&&) noexcept = default;
  AttentionHeads(const AttentionHeads&) = delete;  // the copy's views would read these heads
  AttentionHeads& operator=(const AttentionHeads&) = delete;

  // Head h of sequence b of a [B, T, heads, dim] tensor that outlives these heads: read in
  // place in float64 (a copy of every head was as large as the tensor), converted once and
  // kept in float32.
  HeadView<S> of_tensor(const Tensor& x, std::int64_t b, std::int64_t h) {
    if constexpr (std::is_same_v<S, double>) {
      return head_view(x, b, h);
    } else {
      return keep(gather_head<S>(x, b, h));
    }
  }
  // A head made for this attention, kept with it.
  HeadView<S> keep(HeadMatrix<S> head) { return view_of(made_.emplace_back(std::move(head))); }

 private:
  std::deque<HeadMatrix<S>> made_;  // a deque: its elements stay where they are as it grows
};

template <class S>
struct AttentionOutput {
  std::vector<HeadMatrix<S>> o;  // Hq × [Tq, Dv]
  HeadMatrix<S> lse;             // [Tq, Hq]
};

// Dense form: queries in blocks of `query_block`; each block multiplies against the key range
// visible to any of its queries and masks the rest, so the counted multiply-adds are
// block_rows · range · (D + Dv) per head ("scores", "av"). query_block = 1 skips all masked work.
// With a selection, masked: the dense form with unselected keys masked (same counts);
// gathered: each query attends only to its listed keys, counting n_i · (D + Dv) per head.
template <class S>
AttentionOutput<S> attend(const AttentionHeads<S>& heads, const Visibility& visibility,
                          double scale, std::int64_t query_block, const KeySelection* selection,
                          OpCounts& counts);

}  // namespace attnsim::mixers
