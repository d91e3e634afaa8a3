// Tests of the DSA reference: the worked example (indexer intermediates, selection, output),
// top-k ties to the lower index, top-k ≥ T equals dense attention (generic and MLA), and
// measured vs closed-form FLOPs.
#include "mixers/dsa/reference.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/npy.h"
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

IndexerOptions indexer_options(std::int64_t topk, std::int64_t rope_dim, std::int64_t block = 64) {
  IndexerOptions options;
  options.topk = topk;
  options.rope_dim = rope_dim;
  options.query_block = block;
  return options;
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
  SUBCASE("ties go to the lower key index") {
    // index_q = 0 makes every score exactly 0: the top 3 of query i are keys 0, 1, 2.
    IndexerInputs indexer = random_indexer(1, 6, 6, 2, 4, 1);
    std::fill(indexer.index_q.data.begin(), indexer.index_q.data.end(), 0.0);
    const Selection s = run_indexer(indexer, indexer_options(3, 0));
    CHECK(std::vector<std::int64_t>(s.topk_indices.data.end() - 3, s.topk_indices.data.end()) ==
          std::vector<std::int64_t>{0, 1, 2});
    CHECK(std::vector<std::int64_t>(s.topk_indices.data.begin(), s.topk_indices.data.begin() + 3) ==
          std::vector<std::int64_t>{0, -1, -1});
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
