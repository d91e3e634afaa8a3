// Tests of the KDA reference: the worked example, a hand-computed per-channel decay, and
// measured vs closed-form FLOPs. Form equivalence, prefill/decode and strong decays are tested
// for both delta-rule mixers in mixers/common/delta_rule_test.cpp.
#include "mixers/delta_rule/kda_reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "mixers/common/delta_rule_test_util.h"

namespace attnsim::kda {
namespace {

TEST_CASE("kda::run") {
  SUBCASE("worked example B2_T7_h2_chunk4, both forms") {
    testing::check_delta_rule_example("kda", &run);
  }
  SUBCASE("the decay scales the key rows of S, one factor per channel") {
    // S₀ [K = 2, V = 1] = [[1], [1]], g = (ln ½, 0), β = 0: S' = Diag(½, 1) S₀ = [[½], [1]];
    // o = S'ᵀ q = ½·q[0] + q[1]: q = (1, 0) → ½, then g again: S = [[¼], [1]], q = (1, 1) → 1.25.
    Inputs in{Tensor({1, 2, 1, 2}), Tensor({1, 2, 1, 2}, 1.0), Tensor({1, 2, 1, 1}),
              Tensor({1, 2, 1, 2}), Tensor({1, 2, 1}),         Tensor({1, 1, 2, 1}, 1.0)};
    in.q.data = {1, 0, 1, 1};
    in.g.data = {std::log(0.5), 0, std::log(0.5), 0};
    for (const Form form : {Form::recurrent, Form::chunked}) {
      auto options = testing::delta_rule_options(form, 2);
      options.use_qk_l2norm = false;
      options.scale = 1.0;
      const Result r = run(in, options);
      CHECK(r.o.data[0] == doctest::Approx(0.5).epsilon(1e-14));
      CHECK(r.o.data[1] == doctest::Approx(1.25).epsilon(1e-14));
      CHECK(r.final_state.data == std::vector<double>{0.25, 1.0});
    }
  }
}

TEST_CASE("kda::core_flops_chunked, core_flops_recurrent") {
  const Shapes shapes{1, 2, 9, 5};
  const Inputs in{
      testing::random_tensor({2, 19, 1, 9}, 1),    testing::random_tensor({2, 19, 1, 9}, 2),
      testing::random_tensor({2, 19, 2, 5}, 3),    testing::random_tensor({2, 19, 2, 9}, 4, -1, 0),
      testing::random_tensor({2, 19, 2}, 5, 0, 1), Tensor()};
  for (const std::int64_t chunk : {1, 6, 19, 64}) {
    const Result r = run(in, testing::delta_rule_options(Form::chunked, chunk));
    CHECK(r.counts.flops() == scaled(core_flops_chunked(shapes, 19, chunk), 2.0));
  }
  const Result r = run(in, testing::delta_rule_options(Form::recurrent));
  CHECK(r.counts.flops() == scaled(core_flops_recurrent(shapes, 19), 2.0));
  CHECK(r.state_elements == 2 * state_elements(shapes));
}

// Kimi Linear report (arXiv:2510.26692; also NVIDIA NeMo AutoModel's kimi_linear flops module):
// the chunked KDA forward costs 6·T·d² + 3·T·C·d + T·C² FLOPs per head. Our chunked count for
// K = V = d and T a multiple of C is, per chunk of C tokens, C²·(K+V) + 3·C·K·V multiply-adds
// (qk + kk scores C²K, solve + intra-chunk output C²V, three C·K·V state products), i.e.
// 6·T·d² + 4·T·C·d FLOPs. Both share the state term 6·T·d²; they differ in the intra-chunk
// term by exactly T·C·(d − C). In our reading the report's T·C² is the C×C inverse of (I + A) of
// its WY form, where the reference solves (I + A)U = … by substitution on the V columns.
TEST_CASE("kda chunked FLOPs vs the Kimi Linear report's 6Td² + 3TCd + TC²") {
  const std::int64_t d = 128, C = 64, T = 4096;  // Kimi-Linear-48B-A3B head dim, fla chunk
  const double ours = total_flops(core_flops_chunked(Shapes{1, 1, d, d}, T, C));
  // 4096 · (6·16,384 + 4·64·128) = 4096 · (98,304 + 32,768) = 4096 · 131,072 = 536,870,912
  CHECK(ours == 536'870'912.0);
  // report: 4096 · (98,304 + 3·64·128 + 64²) = 4096 · (98,304 + 24,576 + 4,096) = 520,093,696
  const double report = 520'093'696.0;
  // difference T·C·(d − C) = 4096 · 64 · 64 = 16,777,216 (3.2% of the report's figure)
  CHECK(ours - report == 16'777'216.0);
}

}  // namespace
}  // namespace attnsim::kda
