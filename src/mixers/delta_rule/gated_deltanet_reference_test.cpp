// Tests of the Gated DeltaNet reference: the worked example, hand-computed steps, the state
// layout, and measured vs closed-form FLOPs and state size. Form equivalence, prefill/decode and
// strong decays are tested for both delta-rule mixers in mixers/common/delta_rule_test.cpp.
#include "mixers/delta_rule/gated_deltanet_reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "mixers/common/delta_rule_test_util.h"

namespace attnsim::gated_deltanet {
namespace {

TEST_CASE("gated_deltanet::run") {
  SUBCASE("worked example B2_T7_h2_chunk4, both forms") {
    testing::check_delta_rule_example("gated_deltanet", &run);
  }
  SUBCASE("two scalar steps by hand (K = V = 1, no l2norm, scale 1)") {
    // t0: g = ln ½, β = ½, k = 2, v = 3, q = 1: S' = 0, u = ½(3 − 0) = 1.5, S = 2·1.5 = 3, o = 3.
    // t1: g = ln ½, β = 1, k = 1, v = 1, q = 2: S' = 1.5, u = 1 − 1.5 = −0.5, S = 1, o = 2.
    Inputs in{Tensor({1, 2, 1, 1}), Tensor({1, 2, 1, 1}),
              Tensor({1, 2, 1, 1}), Tensor({1, 2, 1}, std::log(0.5)),
              Tensor({1, 2, 1}),    Tensor()};
    in.q.data = {1, 2};
    in.k.data = {2, 1};
    in.v.data = {3, 1};
    in.beta.data = {0.5, 1};
    for (const Form form : {Form::recurrent, Form::chunked}) {
      auto options = testing::delta_rule_options(form, 2);
      options.use_qk_l2norm = false;
      options.scale = 1.0;
      const Result r = run(in, options);
      CHECK(r.o.data[0] == doctest::Approx(3.0).epsilon(1e-14));
      CHECK(r.o.data[1] == doctest::Approx(2.0).epsilon(1e-14));
      CHECK(r.final_state.data[0] == doctest::Approx(1.0).epsilon(1e-14));
    }
  }
  SUBCASE("the state is key-major: o = Sᵀ q reads row i_k of S") {
    // S₀ [K = 2, V = 1] = [[1], [0]], β = 0 (no write), g = 0: o = S₀ᵀ q = q[0].
    Inputs in{Tensor({1, 2, 1, 2}), Tensor({1, 2, 1, 2}, 1.0), Tensor({1, 2, 1, 1}),
              Tensor({1, 2, 1}),    Tensor({1, 2, 1}),         Tensor({1, 1, 2, 1})};
    in.q.data = {1, 0, 0, 1};
    in.initial_state.data = {1, 0};
    auto options = testing::delta_rule_options(Form::recurrent);
    options.use_qk_l2norm = false;
    options.scale = 1.0;
    const Result r = run(in, options);
    CHECK(r.o.data == std::vector<double>{1, 0});
  }
}

TEST_CASE("gated_deltanet::core_flops_chunked, core_flops_recurrent") {
  const Shapes shapes{2, 6, 11, 7};
  const Inputs in{
      testing::random_tensor({3, 23, 2, 11}, 1),   testing::random_tensor({3, 23, 2, 11}, 2),
      testing::random_tensor({3, 23, 6, 7}, 3),    testing::random_tensor({3, 23, 6}, 4, -1, 0),
      testing::random_tensor({3, 23, 6}, 5, 0, 1), Tensor()};
  SUBCASE("matches the instrumented chunked kernel exactly") {
    for (const std::int64_t chunk : {1, 4, 23, 64}) {
      const Result r = run(in, testing::delta_rule_options(Form::chunked, chunk));
      CHECK(r.counts.flops() == scaled(core_flops_chunked(shapes, 23, chunk), 3.0));
    }
  }
  SUBCASE("matches the instrumented recurrent kernel exactly") {
    const Result r = run(in, testing::delta_rule_options(Form::recurrent));
    CHECK(r.counts.flops() == scaled(core_flops_recurrent(shapes, 23), 3.0));
    CHECK(r.state_elements == 3 * state_elements(shapes));
  }
  SUBCASE("hand-computed totals") {
    // Recurrent: 6·HV·K·V per token = 6·6·11·7 = 2772 → T = 23: 63756.
    CHECK(total_flops(core_flops_recurrent(shapes, 23)) == 63756.0);
    // Chunked, one chunk of c = 2 per head: qk 3·11 + kk 1·11 + read 2·2·77 + solve 1·7 +
    // intra 3·7 + update 2·77 = 33 + 11 + 308 + 7 + 21 + 154 = 534 multiply-adds
    // → 2·6·534 = 6408.
    CHECK(total_flops(core_flops_chunked(shapes, 2, 64)) == 6408.0);
    // Qwen3-Next state: 32·128·128 = 524,288 (mixers-spec §5).
    CHECK(state_elements({16, 32, 128, 128}) == 524288);
  }
}

}  // namespace
}  // namespace attnsim::gated_deltanet
