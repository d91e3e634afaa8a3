// Tests of the softmax attention reference: hand-computed cases, an independent brute force
// for odd sizes, the worked example, KV-cache decode, and measured vs closed-form FLOPs.
#include "mixers/softmax_attn/reference.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/npy.h"
#include "mixers/common/test_util.h"

namespace attnsim::softmax_attn {
namespace {

using testing::random_tensor;

// Direct evaluation of mixers-spec §1 with loops, one (b, i, h) at a time.
struct Brute {
  Tensor o, lse;
};
Brute brute_force(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                  std::optional<std::int64_t> window) {
  const std::int64_t B = q.dim(0), Tq = q.dim(1), Hq = q.dim(2), D = q.dim(3);
  const std::int64_t Tk = k.dim(1), Hkv = k.dim(2), Dv = v.dim(3);
  Brute out{Tensor({B, Tq, Hq, Dv}), Tensor({B, Tq, Hq})};
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t i = 0; i < Tq; ++i) {
      const std::int64_t pos = Tk - Tq + i;
      for (std::int64_t h = 0; h < Hq; ++h) {
        const std::int64_t g = h / (Hq / Hkv);
        std::vector<double> z;
        std::vector<std::int64_t> keys;
        for (std::int64_t j = 0; j <= pos; ++j) {
          if (window && pos - j >= *window) continue;
          double dot = 0;
          for (std::int64_t d = 0; d < D; ++d) {
            dot += q[static_cast<std::size_t>(((b * Tq + i) * Hq + h) * D + d)] *
                   k[static_cast<std::size_t>(((b * Tk + j) * Hkv + g) * D + d)];
          }
          z.push_back(scale * dot);
          keys.push_back(j);
        }
        double sum = 0;
        for (double zj : z) sum += std::exp(zj);
        out.lse[static_cast<std::size_t>((b * Tq + i) * Hq + h)] = std::log(sum);
        for (std::size_t n = 0; n < keys.size(); ++n) {
          for (std::int64_t e = 0; e < Dv; ++e) {
            out.o[static_cast<std::size_t>(((b * Tq + i) * Hq + h) * Dv + e)] +=
                std::exp(z[n]) / sum *
                v[static_cast<std::size_t>(((b * Tk + keys[n]) * Hkv + g) * Dv + e)];
          }
        }
      }
    }
  }
  return out;
}

Options options_for(std::optional<double> scale, std::optional<std::int64_t> window,
                    std::int64_t query_block = 64) {
  Options options;
  options.scale = scale;
  options.window = window;
  options.query_block = query_block;
  return options;
}

// Three tokens, one head, D = Dv = 1, scale 1: q = 1, k = (0, ln 2, ln 3), v = (6, 12, 18).
Inputs three_tokens() {
  Inputs in{Tensor({1, 3, 1, 1}, 1.0), Tensor({1, 3, 1, 1}), Tensor({1, 3, 1, 1}), {}, {}};
  in.k.data = {0.0, std::log(2.0), std::log(3.0)};
  in.v.data = {6.0, 12.0, 18.0};
  return in;
}

TEST_CASE("softmax_attn::run") {
  Options options;
  options.scale = 1.0;
  SUBCASE("three tokens by hand") {
    const Result r = run(three_tokens(), options);
    // query 0: only key 0 → 6; query 1: weights (1, 2)/3 → 2 + 8 = 10;
    // query 2: weights (1, 2, 3)/6 → 1 + 4 + 9 = 14. LSE = ln Σ exp = ln 1, ln 3, ln 6.
    CHECK(r.o.data[0] == doctest::Approx(6.0).epsilon(1e-14));
    CHECK(r.o.data[1] == doctest::Approx(10.0).epsilon(1e-14));
    CHECK(r.o.data[2] == doctest::Approx(14.0).epsilon(1e-14));
    CHECK(r.lse.data[0] == doctest::Approx(0.0));
    CHECK(r.lse.data[1] == doctest::Approx(std::log(3.0)).epsilon(1e-14));
    CHECK(r.lse.data[2] == doctest::Approx(std::log(6.0)).epsilon(1e-14));
  }
  SUBCASE("window of 2 counts the query itself") {
    options.window = 2;
    const Result r = run(three_tokens(), options);
    // query 2 sees keys 1, 2: weights (2, 3)/5 → (24 + 54)/5 = 15.6, LSE ln 5.
    CHECK(r.o.data[2] == doctest::Approx(15.6).epsilon(1e-14));
    CHECK(r.lse.data[2] == doctest::Approx(std::log(5.0)).epsilon(1e-14));
  }
  SUBCASE("decode is bottom-right aligned") {
    Inputs in = three_tokens();
    in.q = Tensor({1, 1, 1, 1}, 1.0);
    CHECK(run(in, options).o.data[0] == doctest::Approx(14.0).epsilon(1e-14));
  }
  SUBCASE("worked example mha_B2_T7") {
    const std::string dir = testing::example_dir("softmax_attn", "mha_B2_T7");
    const Inputs in{read_npy_float(dir + "q.npy"), read_npy_float(dir + "k.npy"),
                    read_npy_float(dir + "v.npy"), read_npy_int(dir + "q_positions.npy").data,
                    read_npy_int(dir + "k_positions.npy").data};
    const Result r = run(in, options_for(0.25, std::nullopt));
    CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
    CHECK(max_abs_diff(r.lse, read_npy_float(dir + "expected_lse.npy")) < 1e-9);
  }
  SUBCASE("GQA, odd sizes, windows and query blocks equal the brute force") {
    const Tensor q = random_tensor({2, 63, 6, 60}, 1), k = random_tensor({2, 63, 2, 60}, 2);
    const Tensor v = random_tensor({2, 63, 2, 37}, 3);
    for (const std::optional<std::int64_t> window :
         {std::optional<std::int64_t>{}, std::optional<std::int64_t>{17}}) {
      const Brute expected = brute_force(q, k, v, 0.3, window);
      for (const std::int64_t block : {1, 8, 64}) {
        const Result r = run({q, k, v, {}, {}}, options_for(0.3, window, block));
        CHECK(max_abs_diff(r.o, expected.o) < 1e-10);
        CHECK(max_abs_diff(r.lse, expected.lse) < 1e-10);
      }
    }
  }
  SUBCASE("MQA with Tq < Tk (chunked prefill) equals the brute force") {
    const Tensor q = random_tensor({1, 5, 4, 8}, 4), k = random_tensor({1, 11, 1, 8}, 5);
    const Tensor v = random_tensor({1, 11, 1, 3}, 6);
    const Result r = run({q, k, v, {}, {}}, Options());
    CHECK(max_abs_diff(r.o, brute_force(q, k, v, 1.0 / std::sqrt(8.0), std::nullopt).o) < 1e-12);
  }
  SUBCASE("float32 stays within float32 accuracy") {
    const Tensor q = random_tensor({1, 9, 2, 16}, 7), k = random_tensor({1, 9, 2, 16}, 8);
    const Tensor v = random_tensor({1, 9, 2, 16}, 9);
    Options f32;
    f32.precision = Precision::float32;
    CHECK(max_abs_diff(run({q, k, v, {}, {}}, f32).o, run({q, k, v, {}, {}}, Options()).o) < 1e-5);
  }
  SUBCASE("rejects Hq not a multiple of Hkv and unordered positions") {
    CHECK_THROWS_AS(
        run({Tensor({1, 2, 3, 4}), Tensor({1, 2, 2, 4}), Tensor({1, 2, 2, 4}), {}, {}}, options),
        UserError);
    CHECK_THROWS_AS(
        run({Tensor({1, 2, 1, 4}), Tensor({1, 2, 1, 4}), Tensor({1, 2, 1, 4}), {1, 0}, {0, 1}},
            options),
        UserError);
  }
}

TEST_CASE("softmax_attn::run_with_cache") {
  const Tensor q = random_tensor({2, 13, 4, 12}, 11), k = random_tensor({2, 13, 2, 12}, 12);
  const Tensor v = random_tensor({2, 13, 2, 5}, 13);
  for (const std::optional<std::int64_t> window :
       {std::optional<std::int64_t>{}, std::optional<std::int64_t>{4}}) {
    CAPTURE(window.value_or(0));
    Options options;
    options.window = window;
    const Result full = run({q, k, v, {}, {}}, options);
    // Prefill 9 tokens in two chunks (5 + 4), then decode 4 tokens one at a time.
    KvCache cache;
    std::vector<std::pair<std::int64_t, std::int64_t>> steps{{0, 5},   {5, 9},   {9, 10},
                                                             {10, 11}, {11, 12}, {12, 13}};
    for (const auto& [t0, t1] : steps) {
      const Result step =
          run_with_cache(cache, testing::token_slice(q, t0, t1), testing::token_slice(k, t0, t1),
                         testing::token_slice(v, t0, t1), options);
      CHECK(max_abs_diff(step.o, testing::token_slice(full.o, t0, t1)) < 1e-12);
      const Shapes shapes{4, 2, 12, 5};
      CHECK(step.cache_elements == 2 * kv_cache_elements(shapes, t1, window));
    }
  }
}

TEST_CASE("softmax_attn::core_flops") {
  const Shapes shapes{6, 2, 9, 5};
  const Tensor q = random_tensor({3, 23, 6, 9}, 21), k = random_tensor({3, 31, 2, 9}, 22);
  const Tensor v = random_tensor({3, 31, 2, 5}, 23);
  SUBCASE("matches the instrumented kernel exactly") {
    for (const std::optional<std::int64_t> window :
         {std::optional<std::int64_t>{}, std::optional<std::int64_t>{7}}) {
      for (const std::int64_t block : {1, 5, 64}) {
        const Result r = run({q, k, v, {}, {}}, options_for(std::nullopt, window, block));
        CHECK(r.counts.flops() == scaled(core_flops(shapes, 23, 31, window, block), 3.0));
      }
    }
  }
  SUBCASE("without masked work it is the spec's Hq·(D+Dv)·(T+1) per token") {
    // T = 5: Σ visible keys = 1+2+3+4+5 = 15 pairs; 2·Hq·(D+Dv)·15 = 2·6·14·15 = 2520.
    CHECK(total_flops(core_flops(shapes, 5, 5, std::nullopt, 1)) == 2520.0);
    // Decode at L = 100 with W = 7: 2·Hq·7·(D+Dv) = 1176.
    CHECK(total_flops(core_flops(shapes, 1, 100, 7, 1)) == 1176.0);
  }
}

}  // namespace
}  // namespace attnsim::softmax_attn
