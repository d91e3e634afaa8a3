// Tests of the gated attention reference: the worked example (outputs and intermediates), a
// single-token case by hand (norm, partial RoPE, gate), and measured vs closed-form FLOPs.
#include "mixers/gated_attn/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "core/npy.h"
#include "mixers/common/test_util.h"

namespace attnsim::gated_attn {
namespace {

TEST_CASE("gated_attn::run") {
  SUBCASE("worked example B2_T7_hq4_kv2_d16") {
    const std::string dir = testing::example_dir("gated_attn", "B2_T7_hq4_kv2_d16");
    const Inputs in{read_npy_float(dir + "q_and_gate.npy"),
                    read_npy_float(dir + "k.npy"),
                    read_npy_float(dir + "v.npy"),
                    read_npy_float(dir + "q_norm_weight.npy"),
                    read_npy_float(dir + "k_norm_weight.npy"),
                    read_npy_int(dir + "q_positions.npy").data,
                    read_npy_int(dir + "k_positions.npy").data};
    Options options;  // the example's params: theta 1e7, ρ = 0.25, ε = 1e-6, scale 16^−1/2
    const Result r = run(in, options);
    CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
    CHECK(max_abs_diff(r.o_ungated, read_npy_float(dir + "expected_o_ungated.npy")) < 1e-9);
    CHECK(max_abs_diff(r.lse, read_npy_float(dir + "expected_lse.npy")) < 1e-9);
    CHECK(max_abs_diff(r.q_rot, read_npy_float(dir + "expected_q_rot.npy")) < 1e-9);
    CHECK(max_abs_diff(r.k_rot, read_npy_float(dir + "expected_k_rot.npy")) < 1e-9);
  }
  SUBCASE("one token by hand: zero-centred norm, RoPE on the first rd features, sigmoid gate") {
    // D = 4, ρ = 0.5 → rd = 2; q = (1, 1, 1, 1), w_q = (1, 0, 0, 0): rms = 1, so
    // q̂ = (2, 1, 1, 1)/sqrt(1 + ε). Position 0 → no rotation. One key → o_ungated = v;
    // gate logits (0, ln 3, 0, 0) → sigmoid (½, ¾, ½, ½).
    Inputs in{Tensor({1, 1, 1, 8}, 1.0),
              Tensor({1, 1, 1, 4}, 1.0),
              Tensor({1, 1, 1, 4}),
              Tensor({4}),
              Tensor({4}),
              {},
              {}};
    for (int d = 4; d < 8; ++d) in.q_and_gate.data[static_cast<std::size_t>(d)] = 0.0;
    in.q_and_gate.data[5] = std::log(3.0);
    in.q_norm_weight.data[0] = 1.0;
    in.v.data = {4, 8, 12, 16};
    Options options;
    options.partial_rotary_factor = 0.5;
    const Result r = run(in, options);
    const double norm = 1.0 / std::sqrt(1.0 + 1e-6);
    CHECK(r.q_rot.data[0] == doctest::Approx(2 * norm).epsilon(1e-15));
    CHECK(r.q_rot.data[3] == doctest::Approx(norm).epsilon(1e-15));
    CHECK(r.o.data == std::vector<double>{2, 6, 6, 8});
  }
  SUBCASE("rotation at position 1 turns the pair (0, 1) by 1 radian") {
    // Second token, q = (1, 0, 1, 0) → rms = sqrt(½): q̂ = sqrt(2)(1, 0, 1, 0)/sqrt(1 + 2ε);
    // pair (0, 1) with angle 1·theta^0 = 1: (cos 1, sin 1)·sqrt(2)/..., features 2, 3 untouched.
    Inputs in{Tensor({1, 2, 1, 8}),
              Tensor({1, 2, 1, 4}, 1.0),
              Tensor({1, 2, 1, 4}, 1.0),
              Tensor({4}),
              Tensor({4}),
              {},
              {}};
    in.q_and_gate.data[8] = 1.0;
    in.q_and_gate.data[10] = 1.0;
    Options options;
    options.partial_rotary_factor = 0.5;
    const Result r = run(in, options);
    const double scale = std::sqrt(2.0) / std::sqrt(1.0 + 2e-6);
    CHECK(r.q_rot.data[4] == doctest::Approx(scale * std::cos(1.0)).epsilon(1e-14));
    CHECK(r.q_rot.data[5] == doctest::Approx(scale * std::sin(1.0)).epsilon(1e-14));
    CHECK(r.q_rot.data[6] == doctest::Approx(scale).epsilon(1e-14));
  }
  SUBCASE("prefill of T − 1 then decode of 1 equals the prefill of T") {
    Inputs in{testing::random_tensor({2, 9, 4, 16}, 31),
              testing::random_tensor({2, 9, 2, 8}, 32),
              testing::random_tensor({2, 9, 2, 8}, 33),
              testing::random_tensor({8}, 34),
              testing::random_tensor({8}, 35),
              {},
              {}};
    const Result full = run(in, Options());
    in.q_and_gate = testing::token_slice(in.q_and_gate, 8, 9);
    const Result decode = run(in, Options());  // bottom-right: the query sits at position 8
    CHECK(max_abs_diff(decode.o, testing::token_slice(full.o, 8, 9)) < 1e-12);
  }
  SUBCASE("rejects a rotary factor giving an odd rotary dim") {
    Options options;
    options.partial_rotary_factor = 0.75;  // D = 4 → rd = 3
    CHECK_THROWS_AS(run({Tensor({1, 1, 1, 8}),
                         Tensor({1, 1, 1, 4}),
                         Tensor({1, 1, 1, 4}),
                         Tensor({4}),
                         Tensor({4}),
                         {},
                         {}},
                        options),
                    UserError);
  }
}

TEST_CASE("gated_attn::core_flops") {
  const Inputs in{testing::random_tensor({2, 11, 4, 16}, 1),
                  testing::random_tensor({2, 13, 2, 8}, 2),
                  testing::random_tensor({2, 13, 2, 8}, 3),
                  testing::random_tensor({8}, 4),
                  testing::random_tensor({8}, 5),
                  {},
                  {}};
  Options options;
  options.query_block = 3;
  const Result r = run(in, options);
  CHECK(r.counts.flops() == scaled(core_flops({4, 2, 8}, 11, 13, std::nullopt, 3), 2.0));
  CHECK(r.cache_elements == 2 * kv_cache_elements({4, 2, 8}, 13));
}

}  // namespace
}  // namespace attnsim::gated_attn
