// Tests of the RWKV-7 WKV7 reference: the worked example (a/b and kk/iclr inputs, both forms),
// the recurrence in RWKV-LM's orientation (state [V, K], wkv7.cu's loops) for odd sizes and
// strong decays, chunk sizes that do not divide T, prefill + decode, and measured vs
// closed-form FLOPs.
#include "mixers/rwkv7/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/npy.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::rwkv7 {
namespace {

using testing::random_tensor;

Options options_for(Form form, std::int64_t chunk = 64) {
  Options options;
  options.form = form;
  options.chunk_size = chunk;
  return options;
}

// a = −κ̂, b = κ̂ ⊙ α with κ̂ L2-normalised per head (the trained models' roles), decays in
// [g_min, 0).
Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t K, std::int64_t V,
                     double g_min, std::uint64_t seed) {
  Inputs in{random_tensor({B, T, H, K}, seed),
            random_tensor({B, T, H, K}, seed + 1, g_min, -1e-3),
            random_tensor({B, T, H, K}, seed + 2),
            random_tensor({B, T, H, V}, seed + 3),
            {},
            {},
            random_tensor({B, H, K, V}, seed + 4),
            {},
            {}};
  Tensor kk = random_tensor({B, T, H, K}, seed + 5);
  for (std::int64_t row = 0; row < B * T * H; ++row) {
    double norm = 0;
    for (std::int64_t d = 0; d < K; ++d)
      norm += std::pow(kk[static_cast<std::size_t>(row * K + d)], 2);
    for (std::int64_t d = 0; d < K; ++d)
      kk[static_cast<std::size_t>(row * K + d)] /= std::sqrt(norm);
  }
  set_a_b_from_kk_iclr(in, kk, random_tensor({B, T, H, K}, seed + 6, 0, 1));
  return in;
}

// wkv7.cu's loops: thread i owns value row i of state[V][K]; sa = Σ_j a[j]·state[i][j];
// state[i][j] = state[i][j]·w[j] + k[j]·v[i] + sa·b[j]; y[i] = Σ_j state[i][j]·r[j].
struct Loops {
  Tensor o, state;
};
Loops rwkv_lm_loops(const Inputs& in) {
  const std::int64_t B = in.r.dim(0), T = in.r.dim(1), H = in.r.dim(2), K = in.r.dim(3),
                     V = in.v.dim(3);
  Loops out{Tensor({B, T, H, V}), in.initial_state};
  const auto at = [&](const Tensor& x, std::int64_t b, std::int64_t t, std::int64_t h,
                      std::int64_t d) {
    return x[static_cast<std::size_t>(((b * T + t) * H + h) * x.dim(3) + d)];
  };
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h) {
      std::vector<double> state(static_cast<std::size_t>(V * K));  // [V][K]
      for (std::int64_t i = 0; i < V; ++i)
        for (std::int64_t j = 0; j < K; ++j)
          state[static_cast<std::size_t>(i * K + j)] =
              in.initial_state[static_cast<std::size_t>(((b * H + h) * K + j) * V + i)];
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t i = 0; i < V; ++i) {
          double sa = 0, y = 0;
          for (std::int64_t j = 0; j < K; ++j)
            sa += at(in.a, b, t, h, j) * state[static_cast<std::size_t>(i * K + j)];
          for (std::int64_t j = 0; j < K; ++j) {
            double& s = state[static_cast<std::size_t>(i * K + j)];
            s = s * std::exp(at(in.g, b, t, h, j)) + at(in.k, b, t, h, j) * at(in.v, b, t, h, i) +
                sa * at(in.b, b, t, h, j);
            y += s * at(in.r, b, t, h, j);
          }
          out.o[static_cast<std::size_t>(((b * T + t) * H + h) * V + i)] = y;
        }
      for (std::int64_t i = 0; i < V; ++i)
        for (std::int64_t j = 0; j < K; ++j)
          out.state[static_cast<std::size_t>(((b * H + h) * K + j) * V + i)] =
              state[static_cast<std::size_t>(i * K + j)];
    }
  return out;
}

TEST_CASE("rwkv7::run") {
  SUBCASE("worked example B2_T7_h2_n16_chunk4: a/b and kk/iclr inputs, both forms") {
    const std::string dir = testing::example_dir("rwkv7", "B2_T7_h2_n16_chunk4");
    Inputs in{read_npy_float(dir + "r.npy"),
              read_npy_float(dir + "g.npy"),
              read_npy_float(dir + "k.npy"),
              read_npy_float(dir + "v.npy"),
              read_npy_float(dir + "a.npy"),
              read_npy_float(dir + "b.npy"),
              Tensor(),
              {},
              {}};
    Inputs from_kk = in;
    set_a_b_from_kk_iclr(from_kk, read_npy_float(dir + "kk.npy"), read_npy_float(dir + "iclr.npy"));
    CHECK(max_abs_diff(from_kk.a, in.a) == 0.0);
    CHECK(max_abs_diff(from_kk.b, in.b) == 0.0);
    for (const Form form : {Form::recurrent, Form::chunked}) {
      for (const std::int64_t chunk : {1, 4, 16}) {
        const Result r = run(in, options_for(form, chunk));
        CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-12);
        CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) <
              1e-12);
        CHECK(r.state_elements == 2 * 512);
      }
    }
  }
  SUBCASE("both forms equal wkv7.cu's loops: odd sizes, K ≠ V, H = 1, strong decays") {
    for (const auto& [H, K, V, g_min] :
         std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, double>>{
             {1, 7, 5, -0.6},
             {3, 5, 5, -20.0},  // chunks split into row blocks (spread > 200 within a chunk)
             {2, 9, 4, -5.0},
             {2, 6, 3, -400.0}}) {  // rows whose own decay exceeds 200: blocks of one row
      CAPTURE(K);
      const Inputs in = random_inputs(2, 23, H, K, V, g_min, 10 + K);
      const Loops expected = rwkv_lm_loops(in);
      const Result recurrent_result = run(in, options_for(Form::recurrent));
      CHECK(max_abs_diff(recurrent_result.o, expected.o) < 1e-12);
      CHECK(max_abs_diff(recurrent_result.final_state, expected.state) < 1e-12);
      for (const std::int64_t chunk : {1, 3, 8, 23, 64}) {
        CAPTURE(chunk);
        const Result r = run(in, options_for(Form::chunked, chunk));
        CHECK(max_abs_diff(r.o, expected.o) < 1e-11);
        CHECK(max_abs_diff(r.final_state, expected.state) < 1e-11);
      }
    }
  }
  SUBCASE("prefill then decode equals one prefill") {
    const Inputs in = random_inputs(2, 17, 2, 6, 6, -1.0, 30);
    const Result full = run(in, options_for(Form::chunked, 4));
    Tensor state = in.initial_state;
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 11}, {11, 12}, {12, 17}}) {
      const auto slice = [&](const Tensor& x) { return testing::token_slice(x, t0, t1); };
      const Inputs part{slice(in.r), slice(in.g), slice(in.k), slice(in.v), slice(in.a),
                        slice(in.b), state,       {},          {}};
      const Result r = run(part, options_for(t1 - t0 == 1 ? Form::recurrent : Form::chunked, 4));
      CHECK(max_abs_diff(r.o, testing::token_slice(full.o, t0, t1)) < 1e-12);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) < 1e-12);
  }
  SUBCASE("float32 stays within float32 accuracy") {
    const Inputs in = random_inputs(1, 19, 2, 16, 16, -0.6, 40);
    Options options = options_for(Form::chunked, 8);
    const Tensor expected = run(in, options).o;
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).o, expected) < 1e-4);
  }
  SUBCASE("float32 chunked equals the loops: chunks of one block, of row blocks, rows alone") {
    for (const double g_min : {-0.5, -3.0, -80.0}) {  // spreads below 40, above, rows above
      CAPTURE(g_min);
      const Inputs in = random_inputs(2, 45, 2, 12, 8, g_min, 45);
      const Loops expected = rwkv_lm_loops(in);
      Options options = options_for(Form::chunked, 32);
      options.precision = Precision::float32;
      const Result r = run(in, options);
      CHECK(max_abs_diff(r.o, expected.o) < 2e-5);
      CHECK(max_abs_diff(r.final_state, expected.state) < 2e-5);
    }
  }
  SUBCASE("kk and iclr given instead of a and b: the same bits, both forms and precisions") {
    const Inputs in = random_inputs(2, 40, 3, 8, 6, -1.0, 60);
    Inputs from_kk = in;
    from_kk.a = Tensor();
    from_kk.b = Tensor();
    from_kk.kk = random_tensor({2, 40, 3, 8}, 61);
    from_kk.iclr = random_tensor({2, 40, 3, 8}, 62, 0, 1);
    Inputs with_a_b = in;
    set_a_b_from_kk_iclr(with_a_b, from_kk.kk, from_kk.iclr);
    for (const Form form : {Form::recurrent, Form::chunked})
      for (const Precision precision : {Precision::float64, Precision::float32}) {
        Options options = options_for(form, 16);
        options.precision = precision;
        const Result expected = run(with_a_b, options), r = run(from_kk, options);
        CHECK(r.o.data == expected.o.data);
        CHECK(r.final_state.data == expected.final_state.data);
      }
  }
  SUBCASE("chunked: the same bits for any thread count (heads run in blocks of ⌈H/threads⌉)") {
    // Decays to −1 and −0.2: float64 chunks of one block, float32 chunks of both kinds.
    for (const double g_min : {-1.0, -0.2})
      for (const Precision precision : {Precision::float64, Precision::float32}) {
        CAPTURE(g_min);
        const Inputs in = random_inputs(2, 100, 5, 12, 10, g_min, 55);
        Options options = options_for(Form::chunked, 32);
        options.precision = precision;
        const int threads_before = mixers::kernel_threads();
        mixers::set_kernel_threads(1);
        const Result serial = run(in, options);
        for (const int threads : {1, 2, 3, 5}) {
          CAPTURE(threads);
          mixers::set_kernel_threads(threads);
          const Result r = run(in, options);
          CHECK(r.o.data == serial.o.data);
          CHECK(r.final_state.data == serial.final_state.data);
        }
        mixers::set_kernel_threads(threads_before);
      }
  }
}

TEST_CASE("rwkv7::core_flops_recurrent, core_flops_chunked") {
  const Inputs in = random_inputs(2, 11, 3, 5, 4, -1.0, 50);
  const Shapes shapes{3, 5, 4};
  // Recurrent: 4 · K 5 · V 4 = 80 multiply-adds per head and token, 3 heads, 11 tokens
  // → 2 · 2640 = 5,280 FLOPs per sequence.
  CHECK(total_flops(core_flops_recurrent(shapes, 11)) == 5280.0);
  CHECK(run(in, options_for(Form::recurrent)).counts.flops() ==
        scaled(core_flops_recurrent(shapes, 11), 2.0));
  // Chunks of 4, 4, 3 (Σc² = 41), per head: scores 2·41·5 = 410, solve (41 − 11)·4 = 120,
  // output (41 + 11)·4 = 208, state read and update 4·11·20 = 880 → 1,618 multiply-adds,
  // 3 heads → 9,708 FLOPs per sequence.
  CHECK(total_flops(core_flops_chunked(shapes, 11, 4)) == 9708.0);
  for (const std::int64_t chunk : {1, 4, 11, 64})
    CHECK(run(in, options_for(Form::chunked, chunk)).counts.flops() ==
          scaled(core_flops_chunked(shapes, 11, chunk), 2.0));
  // RWKV7-World3-2.9B (H 40, N 64): decode 8 · 40 · 64² = 1,310,720 FLOPs (the spec's
  // 1.47 MFLOP adds the decay multiplies and exps), state 163,840.
  CHECK(total_flops(core_flops_recurrent({40, 64, 64}, 1)) == 1310720.0);
  CHECK(state_elements({40, 64, 64}) == 163840);
}

}  // namespace
}  // namespace attnsim::rwkv7
