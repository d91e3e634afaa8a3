// Tests of the LFM2 short-conv reference: the worked example (both input layouts, every form),
// the equation of mixers-spec-recurrent §12 written as loops, forms agreeing for odd sizes,
// biases, kernel lengths 1–5 and T < L − 1, prefill + decode, and measured vs closed-form FLOPs.
#include "mixers/short_conv/reference.h"

#include <doctest/doctest.h>

#include "core/npy.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::short_conv {
namespace {

using testing::random_tensor;

constexpr Form kForms[] = {Form::conv, Form::step, Form::toeplitz};

Options options_for(Form form) {
  Options options;
  options.form = form;
  return options;
}

Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t D, std::int64_t L, bool bias,
                     bool state, std::uint64_t seed) {
  return {random_tensor({B, T, D}, seed),
          random_tensor({B, T, D}, seed + 1),
          random_tensor({B, T, D}, seed + 2),
          random_tensor({D, L}, seed + 3),
          bias ? random_tensor({D}, seed + 4) : Tensor(),
          state ? random_tensor({B, D, L - 1}, seed + 5) : Tensor()};
}

// y_t = C_t ⊙ (bias + Σ_k w[:, k] ⊙ u_{t−(L−1)+k}), u = B ⊙ x, with u before the sequence taken
// from the initial state (column L − 1 − j holds u_{−j}), written with loops.
Tensor equation_by_loops(const Inputs& in) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), D = in.x.dim(2), L = in.conv_weight.dim(1);
  Tensor y({B, T, D});
  const auto u = [&](std::int64_t b, std::int64_t t, std::int64_t d) {
    if (t >= 0) {
      const auto i = static_cast<std::size_t>((b * T + t) * D + d);
      return in.b_gate[i] * in.x[i];
    }
    if (in.initial_state.empty()) return 0.0;
    return in.initial_state[static_cast<std::size_t>((b * D + d) * (L - 1) + (L - 1 + t))];
  };
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t d = 0; d < D; ++d) {
        double conv = in.conv_bias.empty() ? 0.0 : in.conv_bias[static_cast<std::size_t>(d)];
        for (std::int64_t k = 0; k < L; ++k)
          conv += in.conv_weight[static_cast<std::size_t>(d * L + k)] * u(b, t - (L - 1) + k, d);
        const auto i = static_cast<std::size_t>((b * T + t) * D + d);
        y[i] = in.c_gate[i] * conv;
      }
  return y;
}

TEST_CASE("short_conv::run") {
  SUBCASE("worked example B2_T7_d16_L3: every form, both input layouts") {
    const std::string dir = testing::example_dir("short_conv", "B2_T7_d16_L3");
    const Inputs separate{read_npy_float(dir + "b_gate.npy"),
                          read_npy_float(dir + "c_gate.npy"),
                          read_npy_float(dir + "x.npy"),
                          read_npy_float(dir + "conv_weight.npy"),
                          {},
                          {}};
    Inputs packed_inputs = split_bcx(read_npy_float(dir + "bcx.npy"));
    packed_inputs.conv_weight = separate.conv_weight;
    const Inputs& packed = packed_inputs;
    for (const Inputs* in : {&separate, &packed}) {
      for (const Form form : kForms) {
        const Result r = run(*in, options_for(form));
        CHECK(max_abs_diff(r.y, read_npy_float(dir + "expected_y.npy")) < 1e-12);
        CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) <
              1e-15);
        CHECK(max_abs_diff(r.u, read_npy_float(dir + "expected_u.npy")) < 1e-15);
        CHECK(max_abs_diff(r.conv_out, read_npy_float(dir + "expected_conv_out.npy")) < 1e-12);
        CHECK(r.state_elements == 2 * 32);  // case.json state_elems_per_seq 16·2, times B = 2
      }
    }
  }
  SUBCASE("every form equals the equation: odd sizes, bias, initial state, L = 1 to 5") {
    for (const std::int64_t L : {1, 2, 3, 4, 5}) {
      for (const std::int64_t T : {1, 2, 13}) {
        CAPTURE(L);
        CAPTURE(T);
        const Inputs in = random_inputs(2, T, 7, L, true, true, 10 + L * 10 + T);
        const Tensor expected = equation_by_loops(in);
        for (const Form form : kForms)
          CHECK(max_abs_diff(run(in, options_for(form)).y, expected) < 1e-14);
      }
    }
  }
  SUBCASE("across the conv form's blocks of 64 tokens: T = 150, every form, both precisions") {
    const Inputs in = random_inputs(2, 150, 37, 4, true, true, 60);
    const Tensor expected = equation_by_loops(in);
    const Result conv = run(in, options_for(Form::conv));
    for (const Form form : kForms) {
      Options options = options_for(form);
      const Result r = run(in, options);
      CHECK(max_abs_diff(r.y, expected) < 1e-14);
      CHECK(max_abs_diff(r.conv_out, conv.conv_out) < 1e-14);
      CHECK(r.u.data == conv.u.data);  // B ⊙ x, one rounding
      CHECK(r.final_state.data == conv.final_state.data);
      // float32 throughout: values up to about 10 (3 taps of products of normals, times C),
      // float32's epsilon 1.2e-7, so within 1e-5.
      options.precision = Precision::float32;
      CHECK(max_abs_diff(run(in, options).y, expected) < 1e-5);
    }
  }
  SUBCASE("results do not depend on the run or the thread count") {
    const int threads_before = mixers::kernel_threads();
    const Inputs in = random_inputs(2, 150, 37, 3, true, true, 70);
    for (const Precision precision : {Precision::float64, Precision::float32}) {
      const Options options{Form::conv, precision};
      mixers::set_kernel_threads(1);
      const Result serial = run(in, options);
      for (const int threads : {1, 2, 3}) {
        mixers::set_kernel_threads(threads);
        const Result r = run(in, options);
        CHECK(r.y.data == serial.y.data);
        CHECK(r.conv_out.data == serial.conv_out.data);
        CHECK(r.final_state.data == serial.final_state.data);
      }
    }
    mixers::set_kernel_threads(threads_before);
  }
  SUBCASE("final state: the last L − 1 u columns, initial columns kept when T < L − 1") {
    // L = 5, T = 2: state [s0 s1 s2 s3] becomes [s2 s3 u0 u1].
    const Inputs in = random_inputs(1, 2, 3, 5, false, true, 7);
    for (const Form form : kForms) {
      const Result r = run(in, options_for(form));
      for (std::int64_t d = 0; d < 3; ++d) {
        const auto at = [&](const Tensor& s, std::int64_t c) {
          return s[static_cast<std::size_t>(d * 4 + c)];
        };
        CHECK(at(r.final_state, 0) == at(in.initial_state, 2));
        CHECK(at(r.final_state, 1) == at(in.initial_state, 3));
        CHECK(at(r.final_state, 2) ==
              in.b_gate[static_cast<std::size_t>(d)] * in.x[static_cast<std::size_t>(d)]);
        CHECK(at(r.final_state, 3) ==
              in.b_gate[static_cast<std::size_t>(3 + d)] * in.x[static_cast<std::size_t>(3 + d)]);
      }
    }
  }
  SUBCASE("prefill then decode equals one prefill, after a prompt shorter than L − 1") {
    const Inputs in = random_inputs(2, 9, 5, 4, true, false, 30);
    const Result full = run(in, options_for(Form::conv));
    Tensor state = in.initial_state;
    for (const auto& [t0, t1] : std::vector<std::pair<std::int64_t, std::int64_t>>{
             {0, 1}, {1, 2}, {2, 3}, {3, 7}, {7, 8}, {8, 9}}) {
      const Inputs part{testing::token_slice(in.b_gate, t0, t1),
                        testing::token_slice(in.c_gate, t0, t1),
                        testing::token_slice(in.x, t0, t1),
                        in.conv_weight,
                        in.conv_bias,
                        state};
      const Result r = run(part, options_for(t1 - t0 == 1 ? Form::step : Form::conv));
      CHECK(max_abs_diff(r.y, testing::token_slice(full.y, t0, t1)) < 1e-15);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) == 0.0);
  }
  SUBCASE("float32 stays within float32 accuracy") {
    const Inputs in = random_inputs(1, 19, 16, 3, true, true, 40);
    Options options;
    const Tensor expected = run(in, options).y;
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).y, expected) < 1e-5);
  }
}

TEST_CASE("short_conv::core_flops_conv, core_flops_toeplitz") {
  const Inputs in = random_inputs(2, 11, 6, 4, true, true, 50);
  const Shapes shapes{6, 4};
  // conv and step: 4 taps × 6 channels × 11 tokens = 264 multiply-adds per sequence, two
  // sequences → 2 · 2 · 264 = 1,056 FLOPs.
  CHECK(total_flops(core_flops_conv(shapes, 11)) == 528.0);
  for (const Form form : {Form::conv, Form::step})
    CHECK(run(in, options_for(form)).counts.flops() == scaled(core_flops_conv(shapes, 11), 2.0));
  CHECK(total_flops(run(in, options_for(Form::conv)).counts.flops()) == 1056.0);
  // Toeplitz: 11 rows × (3 + 11) columns × 6 channels = 924 multiply-adds → 1,848 FLOPs each.
  CHECK(total_flops(core_flops_toeplitz(shapes, 11)) == 1848.0);
  CHECK(run(in, options_for(Form::toeplitz)).counts.flops() ==
        scaled(core_flops_toeplitz(shapes, 11), 2.0));
  // LFM2-1.2B (D = 2048, L = 3): 2·3·2048 = 12,288 FLOPs per token, state 2·2048 = 4,096.
  CHECK(total_flops(core_flops_conv({2048, 3}, 1)) == 12288.0);
  CHECK(state_elements({2048, 3}) == 4096);
}

}  // namespace
}  // namespace attnsim::short_conv
