// Tests of the DSA reference: the worked example (indexer intermediates, selection, output),
// top-k ties to the lower index, top-k ≥ T equals dense attention (generic and MLA), and
// measured vs closed-form FLOPs.
#include "mixers/dsa/reference.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <vector>

#include "core/npy.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::dsa {
namespace {

using testing::random_tensor;

// Equal where finite (to tol) and −inf at the same places.
bool scores_match(const Tensor& a, const Tensor& b, double tol) {
  if (a.shape != b.shape) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isinf(a[i]) || std::isinf(b[i])) {
      if (a[i] != b[i]) return false;
    } else if (std::abs(a[i] - b[i]) > tol) {
      return false;
    }
  }
  return true;
}

// Each row's selected set (order irrelevant, −1 padding dropped).
std::vector<std::set<std::int64_t>> selected_sets(const IndexTensor& indices) {
  const std::int64_t k = indices.shape.back();
  std::vector<std::set<std::int64_t>> rows(indices.size() / static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= 0) rows[i / static_cast<std::size_t>(k)].insert(indices[i]);
  }
  return rows;
}

IndexerInputs random_indexer(std::int64_t B, std::int64_t Tq, std::int64_t Tk, std::int64_t HI,
                             std::int64_t dI, std::uint64_t seed) {
  return {random_tensor({B, Tq, HI, dI}, seed),
          random_tensor({B, Tk, dI}, seed + 1),
          random_tensor({B, Tq, HI}, seed + 2),
          {},
          {}};
}

IndexerOptions indexer_options(std::int64_t topk, std::int64_t rope_dim, std::int64_t block = 64,
                               Precision precision = Precision::float64) {
  IndexerOptions options;
  options.topk = topk;
  options.rope_dim = rope_dim;
  options.query_block = block;
  options.precision = precision;
  return options;
}

// The smallest gap, over rows with more than k visible keys, between the k-th and (k+1)-th
// largest scores of `scores` [B, Tq, Tk] (−inf not visible).
double smallest_boundary_gap(const Tensor& scores, std::int64_t k) {
  const std::int64_t Tk = scores.shape.back();
  double gap = std::numeric_limits<double>::infinity();
  for (std::size_t row = 0; row < scores.size() / static_cast<std::size_t>(Tk); ++row) {
    std::vector<double> visible;
    for (std::int64_t j = 0; j < Tk; ++j)
      if (const double x = scores[row * static_cast<std::size_t>(Tk) + j]; !std::isinf(x))
        visible.push_back(x);
    if (static_cast<std::int64_t>(visible.size()) <= k) continue;
    std::sort(visible.begin(), visible.end(), std::greater<>());
    gap = std::min(gap, visible[k - 1] - visible[k]);
  }
  return gap;
}

TEST_CASE("dsa::run_on_attention") {
  SUBCASE("worked example B2_T7_top4") {
    const std::string dir = testing::example_dir("dsa", "B2_T7_top4");
    const auto q_positions = read_npy_int(dir + "q_positions.npy").data;
    const auto k_positions = read_npy_int(dir + "k_positions.npy").data;
    const IndexerInputs indexer{read_npy_float(dir + "index_q.npy"),
                                read_npy_float(dir + "index_k.npy"),
                                read_npy_float(dir + "index_w.npy"), q_positions, k_positions};
    IndexerOptions options = indexer_options(4, 4);
    options.index_scale = 0.3535533905932738;
    options.weight_scale = 0.5;
    softmax_attn::Options attention;
    attention.scale = 0.25;
    const Result r = run_on_attention(indexer, options,
                                      {read_npy_float(dir + "q.npy"), read_npy_float(dir + "k.npy"),
                                       read_npy_float(dir + "v.npy"), q_positions, k_positions},
                                      attention);
    CHECK(max_abs_diff(r.selection.index_q_rot, read_npy_float(dir + "expected_index_q_rot.npy")) <
          1e-9);
    CHECK(max_abs_diff(r.selection.index_k_rot, read_npy_float(dir + "expected_index_k_rot.npy")) <
          1e-9);
    CHECK(scores_match(r.selection.index_scores, read_npy_float(dir + "expected_index_scores.npy"),
                       1e-9));
    CHECK(selected_sets(r.selection.topk_indices) ==
          selected_sets(read_npy_int(dir + "expected_topk_indices.npy")));
    CHECK(r.selection.selected.data == read_npy_int(dir + "expected_selected.npy").data);
    CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
    CHECK(max_abs_diff(r.lse, read_npy_float(dir + "expected_lse.npy")) < 1e-9);
  }
  SUBCASE("ties go to the lower key index, in float64 and float32") {
    // index_q = 0 makes every head's logit 0, so every score is exactly 0 (ReLU(0)·w, summed;
    // −0 where w < 0): the top 3 of query i are keys 0, 1, 2.
    IndexerInputs indexer = random_indexer(1, 6, 6, 2, 4, 1);
    std::fill(indexer.index_q.data.begin(), indexer.index_q.data.end(), 0.0);
    for (const Precision precision : {Precision::float64, Precision::float32}) {
      CAPTURE(precision == Precision::float32);
      const Selection s = run_indexer(indexer, indexer_options(3, 0, 64, precision));
      CHECK(std::vector<std::int64_t>(s.topk_indices.data.end() - 3, s.topk_indices.data.end()) ==
            std::vector<std::int64_t>{0, 1, 2});
      CHECK(
          std::vector<std::int64_t>(s.topk_indices.data.begin(), s.topk_indices.data.begin() + 3) ==
          std::vector<std::int64_t>{0, -1, -1});
    }
  }
  SUBCASE("decode of the last token equals the last row of the prefill") {
    IndexerInputs indexer = random_indexer(1, 12, 12, 3, 6, 41);
    softmax_attn::Inputs attention{random_tensor({1, 12, 2, 8}, 42),
                                   random_tensor({1, 12, 1, 8}, 43),
                                   random_tensor({1, 12, 1, 5}, 44),
                                   {},
                                   {}};
    const Result full =
        run_on_attention(indexer, indexer_options(5, 2), attention, softmax_attn::Options());
    indexer.index_q = testing::token_slice(indexer.index_q, 11, 12);
    indexer.index_w = testing::token_slice(indexer.index_w, 11, 12);
    attention.q = testing::token_slice(attention.q, 11, 12);
    const Result decode =
        run_on_attention(indexer, indexer_options(5, 2), attention, softmax_attn::Options());
    CHECK(max_abs_diff(decode.o, testing::token_slice(full.o, 11, 12)) < 1e-12);
    CHECK(std::vector<std::int64_t>(full.selection.topk_indices.data.end() - 5,
                                    full.selection.topk_indices.data.end()) ==
          decode.selection.topk_indices.data);
  }
  SUBCASE("top-k ≥ T gives dense causal GQA attention") {
    const softmax_attn::Inputs attention{random_tensor({2, 9, 4, 10}, 2),
                                         random_tensor({2, 9, 2, 10}, 3),
                                         random_tensor({2, 9, 2, 7}, 4),
                                         {},
                                         {}};
    const Result r = run_on_attention(random_indexer(2, 9, 9, 3, 6, 5), indexer_options(16, 2),
                                      attention, softmax_attn::Options());
    CHECK(max_abs_diff(r.o, softmax_attn::run(attention, softmax_attn::Options()).o) < 1e-12);
  }
  SUBCASE("masked and gathered agree; counts match core_flops_on_attention (Tq < Tk)") {
    const softmax_attn::Inputs attention{random_tensor({2, 5, 4, 10}, 6),
                                         random_tensor({2, 17, 2, 10}, 7),
                                         random_tensor({2, 17, 2, 7}, 8),
                                         {},
                                         {}};
    const IndexerInputs indexer = random_indexer(2, 5, 17, 3, 6, 9);
    softmax_attn::Options options;
    options.query_block = 2;
    const Result masked = run_on_attention(indexer, indexer_options(14, 2, 2), attention, options);
    options.gather_selected_keys = true;
    const Result gathered =
        run_on_attention(indexer, indexer_options(14, 2, 2), attention, options);
    CHECK(max_abs_diff(masked.o, gathered.o) < 1e-12);
    for (const bool gather : {false, true}) {
      const Result& r = gather ? gathered : masked;
      CHECK(r.counts.flops() ==
            scaled(core_flops_on_attention({3, 6}, {4, 2, 10, 7}, 5, 17, 14, 2, gather), 2.0));
    }
    CHECK(masked.cache_elements == 2 * 17 * (2 * 17) + 2 * index_cache_elements({3, 6}, 17));
  }
}

TEST_CASE("dsa::run_indexer precision") {
  SUBCASE("a float32 indexer selects float64's keys where the k-th/(k+1)-th gap is ≥ 1e-4") {
    // mixers-spec §3 "Top-k ties": test data keep that gap; seed 71 does (checked below).
    const IndexerInputs indexer = random_indexer(2, 23, 23, 3, 8, 71);
    const Selection wide = run_indexer(indexer, indexer_options(7, 4));
    REQUIRE(smallest_boundary_gap(wide.index_scores, 7) >= 1e-4);
    const Selection narrow = run_indexer(indexer, indexer_options(7, 4, 64, Precision::float32));
    CHECK(selected_sets(narrow.topk_indices) == selected_sets(wide.topk_indices));
    CHECK(narrow.selected.data == wide.selected.data);
    CHECK(scores_match(narrow.index_scores, wide.index_scores, 1e-5));
    const softmax_attn::Inputs attention{random_tensor({2, 23, 4, 10}, 72),
                                         random_tensor({2, 23, 2, 10}, 73),
                                         random_tensor({2, 23, 2, 7}, 74),
                                         {},
                                         {}};
    softmax_attn::Options wide_attention, narrow_attention;
    narrow_attention.precision = Precision::float32;
    const Result expected =
        run_on_attention(indexer, indexer_options(7, 4), attention, wide_attention);
    const Result r = run_on_attention(indexer, indexer_options(7, 4, 64, Precision::float32),
                                      attention, narrow_attention);
    CHECK(max_abs_diff(r.o, expected.o) < 1e-5);
    CHECK(max_abs_diff(r.lse, expected.lse) < 1e-5);
  }
  SUBCASE("a float64 indexer in a float32 run selects float64's keys in its order at near-ties") {
    // Key 1 is key 0 scaled by 1 + 1e-9 (both round to key 0 in float32), key 3 is half of it,
    // key 2 its negative (score 0). The last query scores key 1 above key 0 by a relative 1e-9:
    // float64's top 2 are (1, 0) and its top 1 is key 1; a float32 indexer ties keys 0 and 1 and
    // takes the lower first.
    const std::vector<double> key = {0.5, 0.25, -0.75, 1.0};
    IndexerInputs indexer{Tensor({1, 4, 1, 4}), Tensor({1, 4, 4}), Tensor({1, 4, 1}, 1.0), {}, {}};
    for (std::size_t c = 0; c < 4; ++c) {
      for (std::size_t t = 0; t < 4; ++t) indexer.index_q[t * 4 + c] = key[c];
      indexer.index_k[c] = key[c];
      indexer.index_k[4 + c] = key[c] * (1 + 1e-9);
      indexer.index_k[8 + c] = -key[c];
      indexer.index_k[12 + c] = key[c] / 2;
    }
    const softmax_attn::Inputs attention{random_tensor({1, 4, 2, 6}, 81),
                                         random_tensor({1, 4, 1, 6}, 82),
                                         random_tensor({1, 4, 1, 5}, 83),
                                         {},
                                         {}};
    softmax_attn::Options narrow_attention;
    narrow_attention.precision = Precision::float32;
    for (const std::int64_t k : {1, 2}) {
      CAPTURE(k);
      const Result wide =
          run_on_attention(indexer, indexer_options(k, 0), attention, softmax_attn::Options());
      const std::int64_t last = 3 * k;  // query 3's row of topk_indices
      CHECK(wide.selection.topk_indices[static_cast<std::size_t>(last)] == 1);
      const Result exact =
          run_on_attention(indexer, indexer_options(k, 0), attention, narrow_attention);
      CHECK(exact.selection.topk_indices.data == wide.selection.topk_indices.data);
      CHECK(exact.selection.selected.data == wide.selection.selected.data);
      CHECK(max_abs_diff(exact.o, wide.o) < 1e-5);
      const Result rounded = run_on_attention(
          indexer, indexer_options(k, 0, 64, Precision::float32), attention, narrow_attention);
      CHECK(rounded.selection.topk_indices[static_cast<std::size_t>(last)] == 0);
    }
  }
  SUBCASE("threaded runs equal the one-thread run, bit for bit, in both precisions") {
    // Tasks are (sequence, block of 16 queries), fixed by the sizes: 2 × 10 blocks.
    const IndexerInputs indexer = random_indexer(2, 150, 150, 3, 8, 91);
    const int saved = mixers::kernel_threads();
    for (const Precision precision : {Precision::float64, Precision::float32}) {
      CAPTURE(precision == Precision::float32);
      const auto run = [&](int threads) {
        mixers::set_kernel_threads(threads);
        return run_indexer(indexer, indexer_options(9, 4, 16, precision));
      };
      const Selection serial = run(1);
      for (const int threads : {2, 3}) {
        CAPTURE(threads);
        const Selection threaded = run(threads);
        CHECK(threaded.index_scores.data == serial.index_scores.data);
        CHECK(threaded.topk_indices.data == serial.topk_indices.data);
        CHECK(threaded.counts.macs == serial.counts.macs);
      }
    }
    mixers::set_kernel_threads(saved);
  }
}

TEST_CASE("dsa::run_on_mla") {
  const mla::Shapes s{3, 5, 4, 6, 9};
  const mla::Inputs attention{random_tensor({1, 11, 3, 5}, 10),
                              random_tensor({1, 11, 3, 4}, 11),
                              random_tensor({1, 11, 9}, 12),
                              random_tensor({1, 11, 4}, 13),
                              random_tensor({3, 5, 9}, 14),
                              random_tensor({3, 6, 9}, 15),
                              {},
                              {}};
  const IndexerInputs indexer = random_indexer(1, 11, 11, 2, 8, 16);
  SUBCASE("naive and absorbed, masked and gathered agree on the selected keys") {
    mla::Options reference;
    reference.form = mla::Form::naive;
    const Result expected = run_on_mla(indexer, indexer_options(4, 2), attention, reference);
    for (const mla::Form form : {mla::Form::naive, mla::Form::absorbed}) {
      mla::Options options;
      options.form = form;
      options.gather_selected_keys = true;
      CHECK(max_abs_diff(run_on_mla(indexer, indexer_options(4, 2), attention, options).o,
                         expected.o) < 1e-10);
    }
  }
  SUBCASE("top-k ≥ T gives dense MLA") {
    const Result r = run_on_mla(indexer, indexer_options(11, 2), attention, mla::Options());
    CHECK(max_abs_diff(r.o, mla::run(attention, mla::Options()).o) < 1e-12);
  }
  SUBCASE("counts match core_flops_on_mla") {
    for (const bool absorbed : {false, true}) {
      for (const bool gather : {false, true}) {
        mla::Options options;
        options.form = absorbed ? mla::Form::absorbed : mla::Form::naive;
        options.query_block = 3;
        options.gather_selected_keys = gather;
        const Result r = run_on_mla(indexer, indexer_options(4, 2, 3), attention, options);
        CHECK(r.counts.flops() == core_flops_on_mla({2, 8}, s, absorbed, 11, 11, 4, 3, gather));
      }
    }
  }
}

}  // namespace
}  // namespace attnsim::dsa
