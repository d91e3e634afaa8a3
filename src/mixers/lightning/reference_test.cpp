// Tests of the lightning attention reference: the worked example and its MiniMax slopes, the
// parallel form of mixers-spec §7 evaluated independently, chunked vs recurrent for odd sizes,
// prefill + continuation, slope formulas, and measured vs closed-form FLOPs.
#include "mixers/lightning/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/npy.h"
#include "mixers/common/test_util.h"

namespace attnsim::lightning {
namespace {

using testing::random_tensor;

Options options_for(Form form, std::int64_t chunk = 64, std::optional<double> scale = {}) {
  Options options;
  options.form = form;
  options.chunk_size = chunk;
  options.scale = scale;
  return options;
}

Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t K, std::int64_t V,
                     std::vector<double> g_gamma, std::uint64_t seed) {
  Inputs in{random_tensor({B, T, H, K}, seed), random_tensor({B, T, H, K}, seed + 1),
            random_tensor({B, T, H, V}, seed + 2), Tensor({H}),
            random_tensor({B, H, K, V}, seed + 3)};
  in.g_gamma.data = std::move(g_gamma);
  return in;
}

// o_i = s Σ_{j≤i} exp((i−j) g)(q_i·k_j) v_j + s exp((i+1) g) S₀ᵀ q_i, written with loops.
Tensor parallel_form(const Inputs& in, double s) {
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1), H = in.q.dim(2), K = in.q.dim(3);
  const std::int64_t V = in.v.dim(3);
  Tensor o({B, T, H, V});
  const auto at = [](const Tensor& x, std::int64_t b, std::int64_t t, std::int64_t h,
                     std::int64_t d) {
    return x[static_cast<std::size_t>(((b * x.dim(1) + t) * x.dim(2) + h) * x.dim(3) + d)];
  };
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t h = 0; h < H; ++h) {
      const double g = in.g_gamma[static_cast<std::size_t>(h)];
      for (std::int64_t i = 0; i < T; ++i) {
        for (std::int64_t e = 0; e < V; ++e) {
          double value = 0;
          for (std::int64_t j = 0; j <= i; ++j) {
            double qk = 0;
            for (std::int64_t d = 0; d < K; ++d) qk += at(in.q, b, i, h, d) * at(in.k, b, j, h, d);
            value += std::exp(static_cast<double>(i - j) * g) * qk * at(in.v, b, j, h, e);
          }
          double from_state = 0;
          for (std::int64_t d = 0; d < K; ++d) {
            from_state +=
                in.initial_state[static_cast<std::size_t>(((b * H + h) * K + d) * V + e)] *
                at(in.q, b, i, h, d);
          }
          o[static_cast<std::size_t>(((b * T + i) * H + h) * V + e)] =
              s * (value + std::exp(static_cast<double>(i + 1) * g) * from_state);
        }
      }
    }
  }
  return o;
}

TEST_CASE("lightning::run") {
  SUBCASE("worked example B2_T7_h4_minimax_scale1, both forms") {
    const std::string dir = testing::example_dir("lightning", "B2_T7_h4_minimax_scale1");
    const Inputs in{read_npy_float(dir + "q.npy"), read_npy_float(dir + "k.npy"),
                    read_npy_float(dir + "v.npy"), read_npy_float(dir + "g_gamma.npy"), Tensor()};
    for (const Form form : {Form::recurrent, Form::chunked}) {
      const Result r = run(in, options_for(form, 4, 1.0));
      CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
      CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) < 1e-9);
    }
    Tensor slopes({4});
    slopes.data = minimax_slopes(4, 3, 8);  // the example's params: layer 3 of 8
    CHECK(max_abs_diff(slopes, in.g_gamma) < 1e-15);
  }
  SUBCASE("both forms equal the parallel form (T = 63, K = 60, decays 0 to -30)") {
    const Inputs in = random_inputs(1, 63, 3, 60, 17, {0.0, -0.7, -30.0}, 10);
    const Tensor expected = parallel_form(in, 0.3);
    CHECK(max_abs_diff(run(in, options_for(Form::recurrent, 1, 0.3)).o, expected) < 1e-10);
    for (const std::int64_t chunk : {1, 5, 16, 64, 100}) {
      CHECK(max_abs_diff(run(in, options_for(Form::chunked, chunk, 0.3)).o, expected) < 1e-10);
    }
  }
  SUBCASE("T = 1: both forms equal the parallel form") {
    const Inputs in = random_inputs(2, 1, 2, 5, 3, {-0.3, -30.0}, 15);
    const Tensor expected = parallel_form(in, 0.5);
    CHECK(max_abs_diff(run(in, options_for(Form::recurrent, 1, 0.5)).o, expected) < 1e-14);
    CHECK(max_abs_diff(run(in, options_for(Form::chunked, 64, 0.5)).o, expected) < 1e-14);
  }
  SUBCASE("chunked final state equals the recurrent one") {
    const Inputs in = random_inputs(2, 41, 2, 8, 6, {-0.1, -12.0}, 20);
    const Result expected = run(in, options_for(Form::recurrent));
    for (const std::int64_t chunk : {3, 16, 41}) {
      CHECK(max_abs_diff(run(in, options_for(Form::chunked, chunk)).final_state,
                         expected.final_state) < 1e-10);
    }
  }
  SUBCASE("prefill then decode equals one prefill, outputs and state") {
    Inputs in = random_inputs(2, 17, 2, 8, 6, {-0.05, -2.0}, 30);
    const Result full = run(in, options_for(Form::chunked, 8));
    Tensor state = in.initial_state;
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 11}, {11, 12}, {12, 17}}) {
      const Inputs part{testing::token_slice(in.q, t0, t1), testing::token_slice(in.k, t0, t1),
                        testing::token_slice(in.v, t0, t1), in.g_gamma, state};
      const Result r = run(part, options_for(t1 - t0 == 1 ? Form::recurrent : Form::chunked, 8));
      CHECK(max_abs_diff(r.o, testing::token_slice(full.o, t0, t1)) < 1e-12);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) < 1e-12);
  }
  SUBCASE("float32 stays within float32 accuracy") {
    const Inputs in = random_inputs(1, 19, 2, 16, 16, {-0.1, -1.0}, 40);
    auto options = options_for(Form::chunked, 8);
    const Tensor expected = run(in, options).o;
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).o, expected) < 1e-4);
  }
}

TEST_CASE("lightning::minimax_slopes, ling_slopes, fla_slopes, alibi_slopes") {
  SUBCASE("alibi_slopes for a non-power-of-two head count") {
    // 6 heads: the 4-head slopes 2^-2, 2^-4, 2^-6, 2^-8, then every other 8-head slope 2^-1, 2^-3.
    CHECK(alibi_slopes(6) == std::vector<double>{0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125});
  }
  SUBCASE("fla_slopes: head 0 has no decay") {
    // −(8/H)·(1 − l/L)·h with H = 4, l = 1, L = 2: −2·0.5·h.
    CHECK(fla_slopes(4, 1, 2) == std::vector<double>{-0.0, -1.0, -2.0, -3.0});
  }
  SUBCASE("minimax_slopes in the first layer") {
    // base 2^(−8/4) = ¼; layer 0: factor 1 + 1e-5.
    CHECK(minimax_slopes(4, 0, 8)[1] == doctest::Approx(-0.0625 * (1 + 1e-5)).epsilon(1e-15));
  }
  SUBCASE("ling_slopes in the last layer keep a small decay") {
    CHECK(ling_slopes(4, 7, 8)[0] == doctest::Approx(-0.25 * 1e-5).epsilon(1e-12));
  }
}

TEST_CASE("lightning::core_flops_chunked, core_flops_recurrent") {
  const Inputs in = random_inputs(2, 29, 3, 7, 5, {-0.1, -0.2, -0.3}, 50);
  const Shapes shapes{3, 7, 5};
  for (const std::int64_t chunk : {1, 4, 29, 64}) {
    CHECK(run(in, options_for(Form::chunked, chunk)).counts.flops() ==
          scaled(core_flops_chunked(shapes, 29, chunk), 2.0));
  }
  const Result r = run(in, options_for(Form::recurrent));
  CHECK(r.counts.flops() == scaled(core_flops_recurrent(shapes, 29), 2.0));
  CHECK(r.state_elements == 2 * state_elements(shapes));
  // One chunk of c = 3 per head: scores 6·7 + intra 6·5 + read 3·35 + update 3·35 = 282
  // multiply-adds → 2·3·282 = 1692 FLOPs.
  CHECK(total_flops(core_flops_chunked(shapes, 3, 64)) == 1692.0);
}

}  // namespace
}  // namespace attnsim::lightning
