// Tests of the differential-attention reference: the worked example in both forms, an
// independent dense loop (four D-wide masked attentions concatenated, as HF's fa_og=True path)
// for MHA, GQA ratios 2 and 4, windows, negative λ, depth 0, RoPE and Tq < Tk, decode token by
// token against one prefill, and measured vs closed-form FLOPs.
#include "mixers/diff_attn/reference.h"

#include <doctest/doctest.h>

#include <cmath>
#include <complex>

#include "core/error.h"
#include "core/npy.h"
#include "mixers/common/test_util.h"
#include "mixers/diff_attn/session.h"
#include "mixers/mixer.h"

namespace attnsim::diff_attn {
namespace {

using testing::random_tensor;

struct Case {
  std::int64_t B = 1, Tq = 9, Tk = 9, H = 4, Hkv = 2, D = 6;
  std::uint64_t seed = 1;
  double lambda_shift = 0.0;  // added to λq2 so that exp(λq2·λk2) grows (negative λ)
};

Inputs random_inputs(const Case& c) {
  std::uint64_t seed = c.seed * 100;
  Inputs in;
  in.q = random_tensor({c.B, c.Tq, c.H, c.D}, ++seed, -2, 2);
  in.k = random_tensor({c.B, c.Tk, c.Hkv, c.D}, ++seed, -2, 2);
  in.v = random_tensor({c.B, c.Tk, c.Hkv, c.D}, ++seed);
  in.lambda_q1 = random_tensor({c.D}, ++seed, -0.3, 0.3);
  in.lambda_k1 = random_tensor({c.D}, ++seed, -0.3, 0.3);
  in.lambda_q2 = random_tensor({c.D}, ++seed, -0.3 + c.lambda_shift, 0.3 + c.lambda_shift);
  in.lambda_k2 = random_tensor({c.D}, ++seed, -0.3 + c.lambda_shift, 0.3 + c.lambda_shift);
  in.subln_weight = random_tensor({2 * c.D}, ++seed, 0.5, 1.5);
  return in;
}

// Interleaved RoPE as a complex product on pairs (2f, 2f+1), frequency θ^(−2f/D).
Tensor rope_by_loops(Tensor x, double theta, std::int64_t Tk_minus_Tq) {
  const std::int64_t B = x.dim(0), T = x.dim(1), heads = x.dim(2), D = x.dim(3);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t h = 0; h < heads; ++h)
        for (std::int64_t f = 0; f < D / 2; ++f) {
          double* pair = &x.data[static_cast<std::size_t>(((b * T + t) * heads + h) * D + 2 * f)];
          const double angle = static_cast<double>(t + Tk_minus_Tq) * std::pow(theta, -2.0 * f / D);
          const auto turned = std::complex<double>(pair[0], pair[1]) * std::polar(1.0, angle);
          pair[0] = turned.real();
          pair[1] = turned.imag();
        }
  return x;
}

// Dense masked softmax of one map for every query: P [Tq, Tk] (zero where masked).
struct Loops {
  Tensor o, attn1, attn2, lse1, lse2;
};
Loops by_loops(const Inputs& in, const Case& c, std::optional<std::int64_t> window,
               std::int64_t depth, std::optional<double> rope_theta) {
  const std::int64_t B = c.B, Tq = c.Tq, Tk = c.Tk, H = c.H, D = c.D, Hd = H / 2;
  const Tensor q = rope_theta ? rope_by_loops(in.q, *rope_theta, Tk - Tq) : in.q;
  const Tensor k = rope_theta ? rope_by_loops(in.k, *rope_theta, 0) : in.k;
  double l1 = 0, l2 = 0;
  for (std::int64_t d = 0; d < D; ++d) {
    l1 += in.lambda_q1[d] * in.lambda_k1[d];
    l2 += in.lambda_q2[d] * in.lambda_k2[d];
  }
  const double init = 0.8 - 0.6 * std::exp(-0.3 * static_cast<double>(depth));
  const double lambda = std::exp(l1) - std::exp(l2) + init;
  Loops out{Tensor({B, Tq, H, D}), Tensor({B, Tq, Hd, 2 * D}), Tensor({B, Tq, Hd, 2 * D}),
            Tensor({B, Tq, Hd}), Tensor({B, Tq, Hd})};
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t i = 0; i < Hd; ++i) {
      const std::int64_t j = i / (H / c.Hkv);
      for (std::int64_t t = 0; t < Tq; ++t) {
        const std::int64_t pos = Tk - Tq + t;
        std::vector<double> a(2 * D);
        for (int map = 0; map < 2; ++map) {
          std::vector<double> p(Tk, 0.0);
          double max = -INFINITY, sum = 0;
          for (std::int64_t s = 0; s < Tk; ++s) {
            if (s > pos || (window && pos - s >= *window)) continue;
            double score = 0;
            for (std::int64_t d = 0; d < D; ++d)
              score += q[((b * Tq + t) * H + 2 * i + map) * D + d] *
                       k[((b * Tk + s) * c.Hkv + 2 * j + map) * D + d];
            p[s] = score / std::sqrt(static_cast<double>(D));
            max = std::max(max, p[s]);
          }
          for (std::int64_t s = 0; s < Tk; ++s) {
            const bool seen = !(s > pos || (window && pos - s >= *window));
            p[s] = seen ? std::exp(p[s] - max) : 0.0;
            sum += p[s];
          }
          (map == 0 ? out.lse1 : out.lse2)[(b * Tq + t) * Hd + i] = max + std::log(sum);
          // Four D-wide attentions: map × value half, concatenated.
          for (int half = 0; half < 2; ++half)
            for (std::int64_t d = 0; d < D; ++d) {
              double value = 0;
              for (std::int64_t s = 0; s < Tk; ++s)
                value += p[s] / sum * in.v[((b * Tk + s) * c.Hkv + 2 * j + half) * D + d];
              (map == 0 ? out.attn1 : out.attn2)[((b * Tq + t) * Hd + i) * 2 * D + half * D + d] =
                  value;
              a[half * D + d] += (map == 0 ? 1.0 : -lambda) * value;
            }
        }
        double ms = 0;
        for (double value : a) ms += value * value / static_cast<double>(2 * D);
        for (std::int64_t d = 0; d < 2 * D; ++d)
          out.o[((b * Tq + t) * H + 2 * i + d / D) * D + d % D] =
              (1 - init) * a[d] / std::sqrt(ms + 1e-5) * in.subln_weight[d];
      }
    }
  return out;
}

void check_against_loops(const Case& c, std::optional<std::int64_t> window, std::int64_t depth,
                         std::optional<double> rope_theta) {
  const Inputs in = random_inputs(c);
  const Loops expected = by_loops(in, c, window, depth, rope_theta);
  for (const Form form : {Form::two_pass, Form::combined}) {
    CAPTURE(static_cast<int>(form));
    Options options;
    options.form = form;
    options.window = window;
    options.depth = depth;
    options.rope_theta = rope_theta;
    options.intermediates = true;
    const Result r = run(in, options);
    CHECK(max_abs_diff(r.o, expected.o) < 1e-10);
    CHECK(max_abs_diff(r.attn1, expected.attn1) < 1e-10);
    CHECK(max_abs_diff(r.attn2, expected.attn2) < 1e-10);
    CHECK(max_abs_diff(r.lse1, expected.lse1) < 1e-10);
    CHECK(max_abs_diff(r.lse2, expected.lse2) < 1e-10);
  }
}

TEST_CASE("diff_attn::run") {
  SUBCASE("worked example B2_T7_h4_kv2_d8_depth1, both forms") {
    const std::string dir = testing::example_dir("diff_attn", "B2_T7_h4_kv2_d8_depth1");
    const auto npy = [&](const std::string& name) { return read_npy_float(dir + name + ".npy"); };
    const Inputs in{npy("q"),
                    npy("k"),
                    npy("v"),
                    npy("lambda_q1"),
                    npy("lambda_k1"),
                    npy("lambda_q2"),
                    npy("lambda_k2"),
                    npy("subln_weight"),
                    {},
                    {}};
    for (const Form form : {Form::two_pass, Form::combined}) {
      Options options;
      options.form = form;
      options.depth = 1;
      options.intermediates = true;
      const Result r = run(in, options);
      CHECK(max_abs_diff(r.o, npy("expected_o")) < 1e-9);
      CHECK(max_abs_diff(r.attn1, npy("expected_attn1")) < 1e-9);
      CHECK(max_abs_diff(r.attn2, npy("expected_attn2")) < 1e-9);
      CHECK(max_abs_diff(r.lse1, npy("expected_lse1")) < 1e-9);
      CHECK(max_abs_diff(r.lse2, npy("expected_lse2")) < 1e-9);
      CHECK(max_abs_diff(r.lambda_full, npy("expected_lambda_full")) < 1e-12);
    }
  }
  SUBCASE("MHA, GQA ratios 2 and 4, odd sizes") {
    for (const auto& [H, Hkv] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{4, 4}, {8, 4}, {8, 2}}) {
      CAPTURE(H);
      CAPTURE(Hkv);
      Case c;
      c.B = 2, c.Tq = c.Tk = 13, c.H = H, c.Hkv = Hkv, c.D = 5,
      c.seed = static_cast<std::uint64_t>(H + Hkv);
      check_against_loops(c, std::nullopt, 3, std::nullopt);
    }
  }
  SUBCASE("sliding windows, Tq < Tk (chunked prefill), negative λ, depth 0, RoPE") {
    Case c;
    c.Tq = 5, c.Tk = 17, c.H = 8, c.Hkv = 4, c.seed = 10;
    check_against_loops(c, 4, 0, std::nullopt);
    check_against_loops(c, 1, 7, std::nullopt);
    c.lambda_shift = 1.0, c.seed = 11;
    const Inputs in = random_inputs(c);
    Options options;
    CHECK(run(in, options).lambda_full[0] < 0.0);
    check_against_loops(c, 6, 0, std::nullopt);
    c.lambda_shift = 0.0, c.D = 8, c.seed = 12;
    check_against_loops(c, std::nullopt, 2, 10000.0);
    check_against_loops(c, 3, 2, 500.0);
  }
  SUBCASE("decode token by token equals one prefill (window 5, both forms)") {
    Case c;
    c.Tq = c.Tk = 12, c.H = 8, c.Hkv = 2, c.seed = 20;
    const Inputs in = random_inputs(c);
    for (const Form form : {Form::two_pass, Form::combined}) {
      Options options;
      options.form = form;
      options.window = 5;
      const Result full = run(in, options);
      for (std::int64_t t = 0; t < 12; ++t) {
        Inputs step = in;
        step.q = testing::token_slice(in.q, t, t + 1);
        step.k = testing::token_slice(in.k, 0, t + 1);
        step.v = testing::token_slice(in.v, 0, t + 1);
        CHECK(max_abs_diff(run(step, options).o, testing::token_slice(full.o, t, t + 1)) < 1e-13);
      }
    }
  }
  SUBCASE("prefill then decode through the KV cache equals one prefill; the ring keeps W tokens") {
    Case c;
    c.Tq = c.Tk = 14, c.H = 4, c.Hkv = 2, c.seed = 25;
    const Inputs in = random_inputs(c);
    Options options;
    options.window = 4;
    const Result full = run(in, options);
    reference::Binding bound;
    bound.set("window", std::int64_t{4});
    const auto session = facet().open(bound, {});
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 9}, {9, 10}, {10, 11}, {11, 14}}) {
      reference::Tensors step;
      step.add("q", testing::token_slice(in.q, t0, t1));
      step.add("k", testing::token_slice(in.k, t0, t1));
      step.add("v", testing::token_slice(in.v, t0, t1));
      for (const auto& [name, tensor] : {std::pair{"lambda_q1", &in.lambda_q1},
                                         {"lambda_k1", &in.lambda_k1},
                                         {"lambda_q2", &in.lambda_q2},
                                         {"lambda_k2", &in.lambda_k2},
                                         {"subln_weight", &in.subln_weight}})
        step.add(name, *tensor);
      const reference::Tensors r =
          (t0 == 0 ? session->prefill(step) : session->decode(step)).outputs;
      CHECK(max_abs_diff(r.get("o"), testing::token_slice(full.o, t0, t1)) < 1e-13);
      const reference::Kept cache = session->kept().front();
      CHECK(cache.tokens == std::min<std::int64_t>(t1, 4));
      CHECK(cache.elements == std::min<std::int64_t>(t1, 4) * 2 * 2 * c.D);  // W·2·Hkv·D
    }
  }
  SUBCASE("float32 stays within 1e-4 of float64") {
    Case c;
    c.Tq = c.Tk = 16, c.seed = 30;
    const Inputs in = random_inputs(c);
    Options options;
    const Result r64 = run(in, options);
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).o, r64.o) < 1e-4);
  }
  SUBCASE("rejects odd or non-dividing head counts and mis-shaped λ") {
    Case c;
    c.Hkv = 3, c.H = 6;
    CHECK_THROWS_AS(run(random_inputs(c), Options()), UserError);
    c = Case();
    c.H = 6, c.Hkv = 4;
    CHECK_THROWS_AS(run(random_inputs(c), Options()), UserError);
    Inputs in = random_inputs(Case());
    in.subln_weight = random_tensor({6}, 1);
    CHECK_THROWS_AS(run(in, Options()), UserError);
  }
}

TEST_CASE("diff_attn::core_flops") {
  SUBCASE("hand arithmetic: H = 4, Hkv = 2, D = 8, T = 7") {
    const Shapes shapes{4, 2, 8};
    // Σ n = 1 + … + 7 = 28 pairs. Two-pass: scores 2·H·D·Σn = 2·4·8·28 = 1,792, av
    // 4·H·D·Σn = 3,584; total 6·H·D·Σn = 5,376 = the spec's 3·H·D·(T+1) per token · 7.
    const FlopCounts two_pass = core_flops(shapes, 7, 7, std::nullopt, Form::two_pass);
    CHECK(two_pass.at("scores") == 1792.0);
    CHECK(two_pass.at("av") == 3584.0);
    CHECK(total_flops(two_pass) == 3.0 * 4 * 8 * 8 * 7);
    // Combined: scores 1,792, A¹ − λA² H·Σn = 112, one A·V 2·H·D·Σn = 1,792.
    const FlopCounts combined_map = core_flops(shapes, 7, 7, std::nullopt, Form::combined);
    CHECK(combined_map.at("combine") == 112.0);
    CHECK(combined_map.at("av") == 1792.0);
    CHECK(total_flops(combined_map) == 3696.0);
    // Window 3: n = 1, 2, 3, 3, 3, 3, 3 → Σn = 18 → 6·4·8·18 = 3,456.
    CHECK(total_flops(core_flops(shapes, 7, 7, 3, Form::two_pass)) == 3456.0);
  }
  SUBCASE("Phi-4-mini-flash: decode at 1,000 tokens under W = 512, KV per token") {
    const Shapes phi{40, 20, 64};
    // n = 512: 6·H·n·D = 6·40·512·64 = 7,864,320.
    CHECK(total_flops(core_flops(phi, 1, 1000, 512, Form::two_pass)) == 7864320.0);
    // 2·Hkv·D = 2,560 per token (mixers-spec-new §B), 512 tokens at most.
    CHECK(kv_cache_elements(phi, 1, std::nullopt) == 2560);
    CHECK(kv_cache_elements(phi, 4096, 512) == 512 * 2560);
  }
  SUBCASE("λ_init: 0.2 at depth 0; depth 1 as in the worked example's case.json") {
    CHECK(lambda_init(0) == doctest::Approx(0.2).epsilon(1e-15));
    CHECK(lambda_init(1) == doctest::Approx(0.35550906759096934).epsilon(1e-15));
  }
  SUBCASE("the kernel's measured counts equal the closed forms") {
    Case c;
    c.B = 2, c.Tq = 6, c.Tk = 11, c.H = 8, c.Hkv = 4, c.D = 5, c.seed = 40;
    const Inputs in = random_inputs(c);
    for (const Form form : {Form::two_pass, Form::combined})
      for (const std::optional<std::int64_t> window :
           {std::optional<std::int64_t>(), std::optional<std::int64_t>(4)})
        for (const std::int64_t block : {1, 4, 64}) {
          Options options;
          options.form = form;
          options.window = window;
          options.query_block = block;
          CHECK(run(in, options).counts.flops() ==
                scaled(core_flops({8, 4, 5}, 6, 11, window, form, block), 2.0));
        }
  }
}

}  // namespace
}  // namespace attnsim::diff_attn
