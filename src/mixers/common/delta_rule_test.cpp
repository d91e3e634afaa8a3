// Tests of the shared delta rule (both gates): chunked equals recurrent for odd sizes, chunk
// sizes that do not divide T, GVA, strong decays and l2norm off; prefill + continuation equals
// one prefill.
#include "mixers/common/delta_rule.h"

#include <doctest/doctest.h>

#include "core/error.h"
#include "mixers/common/delta_rule_test_util.h"
#include "mixers/common/parallel.h"

namespace attnsim::mixers {
namespace {

using testing::delta_rule_options;
using testing::random_tensor;
using testing::token_slice;

DeltaRuleInputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t HV,
                              std::int64_t K, std::int64_t V, GateKind gate, double g_min,
                              std::uint64_t seed) {
  DeltaRuleInputs in;
  in.q = random_tensor({B, T, H, K}, seed);
  in.k = random_tensor({B, T, H, K}, seed + 1);
  in.v = random_tensor({B, T, HV, V}, seed + 2);
  in.g = gate == GateKind::scalar ? random_tensor({B, T, HV}, seed + 3, g_min, 0.0)
                                  : random_tensor({B, T, HV, K}, seed + 3, g_min, 0.0);
  in.beta = random_tensor({B, T, HV}, seed + 4, 0.0, 1.0);
  in.initial_state = random_tensor({B, HV, K, V}, seed + 5);
  return in;
}

TEST_CASE("run_delta_rule") {
  for (const GateKind gate : {GateKind::scalar, GateKind::per_channel}) {
    CAPTURE(static_cast<int>(gate));
    SUBCASE("chunked equals recurrent: T = 63, K = 60, GVA 3, chunks not dividing T") {
      const auto in = random_inputs(2, 63, 2, 6, 60, 17, gate, -1.0, 100);
      const auto expected = run_delta_rule(in, delta_rule_options(DeltaRuleForm::recurrent), gate);
      for (const std::int64_t chunk : {1, 5, 16, 64, 100}) {
        const auto r = run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked, chunk), gate);
        CHECK(max_abs_diff(r.o, expected.o) < 1e-10);
        CHECK(max_abs_diff(r.final_state, expected.final_state) < 1e-10);
      }
    }
    SUBCASE("strong decays down to -30 and l2norm off") {
      auto in = random_inputs(1, 37, 1, 2, 12, 9, gate, -30.0, 200);
      auto options = delta_rule_options(DeltaRuleForm::recurrent);
      options.use_qk_l2norm = false;
      options.scale = 0.7;
      for (double& b : in.beta.data) b *= 0.05;  // keep the un-normalised delta rule contractive
      const auto expected = run_delta_rule(in, options, gate);
      options.form = DeltaRuleForm::chunked;
      for (const std::int64_t chunk : {8, 37}) {  // 37: several sub-blocks of the per-channel path
        options.chunk_size = chunk;
        const auto r = run_delta_rule(in, options, gate);
        CHECK(max_abs_diff(r.o, expected.o) < 1e-10);
        CHECK(max_abs_diff(r.final_state, expected.final_state) < 1e-10);
      }
    }
    SUBCASE("T = 1 and zero initial state") {
      auto in = random_inputs(1, 1, 1, 1, 6, 4, gate, -2.0, 300);
      in.initial_state = Tensor();
      const auto a = run_delta_rule(in, delta_rule_options(DeltaRuleForm::recurrent), gate);
      const auto b = run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked, 4), gate);
      CHECK(max_abs_diff(a.o, b.o) < 1e-14);
      CHECK(a.final_state.shape == std::vector<std::int64_t>{1, 1, 6, 4});
    }
    SUBCASE("prefill then decode equals one prefill, outputs and state") {
      const auto in = random_inputs(2, 29, 1, 2, 8, 8, gate, -3.0, 400);
      const auto full = run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked, 8), gate);
      DeltaRuleInputs state_carrier = in;
      for (const auto& [t0, t1] :
           std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 20}, {20, 21}, {21, 29}}) {
        DeltaRuleInputs part{token_slice(in.q, t0, t1),    token_slice(in.k, t0, t1),
                             token_slice(in.v, t0, t1),    token_slice(in.g, t0, t1),
                             token_slice(in.beta, t0, t1), state_carrier.initial_state};
        const auto form = t1 - t0 == 1 ? DeltaRuleForm::recurrent : DeltaRuleForm::chunked;
        const auto r = run_delta_rule(part, delta_rule_options(form, 8), gate);
        CHECK(max_abs_diff(r.o, token_slice(full.o, t0, t1)) < 1e-12);
        state_carrier.initial_state = r.final_state;
      }
      CHECK(max_abs_diff(state_carrier.initial_state, full.final_state) < 1e-12);
    }
    SUBCASE("float32 stays within float32 accuracy") {
      // g ≥ −1: every per-channel chunk is one block (−Γ ≤ 8 < 20); g ≥ −6: chunks of 16 span
      // Γ down to about −48, beyond float32's safe spread of 20, so they go blockwise.
      for (const double g_min : {-1.0, -6.0}) {
        CAPTURE(g_min);
        const auto in = random_inputs(1, 45, 1, 1, 16, 16, gate, g_min, 500);
        const auto expected =
            run_delta_rule(in, delta_rule_options(DeltaRuleForm::recurrent), gate);
        for (const std::int64_t chunk : {8, 16}) {
          auto options = delta_rule_options(DeltaRuleForm::chunked, chunk);
          options.precision = Precision::float32;
          const auto r = run_delta_rule(in, options, gate);
          CHECK(max_abs_diff(r.o, expected.o) < 1e-4);
          CHECK(max_abs_diff(r.final_state, expected.final_state) < 1e-4);
        }
      }
    }
  }
  SUBCASE("the short conv fused into the chunk loads equals the conv run first, step after step") {
    // Two convs with the same weights: one runs over the whole step first (ShortConv::run), the
    // other is bound and convolves inside the core. float64: the same bits; float32: its own
    // arithmetic, within float32 accuracy of float64.
    for (const GateKind gate : {GateKind::scalar, GateKind::per_channel}) {
      for (const Precision precision : {Precision::float64, Precision::float32}) {
        CAPTURE(static_cast<int>(gate));
        CAPTURE(static_cast<int>(precision));
        const std::int64_t H = 2, HV = 4, K = 12, V = 7;
        const Tensor weights = random_tensor({2 * H * K + HV * V, 4}, 700);
        ShortConv first(weights), fused(weights);
        Tensor state = random_tensor({2, HV, K, V}, 701);
        Tensor fused_state = state;
        for (const auto& [T, form] :
             std::vector<std::pair<std::int64_t, DeltaRuleForm>>{{19, DeltaRuleForm::chunked},
                                                                 {1, DeltaRuleForm::recurrent},
                                                                 {2, DeltaRuleForm::chunked},
                                                                 {5, DeltaRuleForm::recurrent}}) {
          CAPTURE(T);
          DeltaRuleInputs in = random_inputs(2, T, H, HV, K, V, gate, -1.0, 710 + T);
          auto options = delta_rule_options(form, 8);
          options.precision = precision;
          OpCounts conv_counts, fused_counts;
          std::vector<Tensor> mixed = first.run({&in.q, &in.k, &in.v}, conv_counts);
          const DeltaRuleInputs convolved{mixed[0], mixed[1], mixed[2], in.g, in.beta, state};
          const auto expected = run_delta_rule(convolved, options, gate);
          auto reference = expected;
          if (precision == Precision::float32) {
            options.precision = Precision::float64;
            reference = run_delta_rule(convolved, options, gate);
            options.precision = precision;
          }
          in.initial_state = fused_state;
          fused.bind({&in.q, &in.k, &in.v});
          in.conv = &fused;
          const auto r = run_delta_rule(in, options, gate);
          fused.finish(fused_counts);
          if (precision == Precision::float64) {
            CHECK(max_abs_diff(r.o, expected.o) == 0.0);
            CHECK(max_abs_diff(r.final_state, expected.final_state) == 0.0);
          } else {
            CHECK(max_abs_diff(r.o, reference.o) < 1e-4);
            CHECK(max_abs_diff(r.final_state, reference.final_state) < 1e-4);
          }
          CHECK(fused_counts.macs == conv_counts.macs);
          state = reference.final_state;
          fused_state = r.final_state;
        }
      }
    }
  }
  SUBCASE("chunked: the same bits for any thread count (value heads run in blocks side by side)") {
    for (const GateKind gate : {GateKind::scalar, GateKind::per_channel}) {
      for (const Precision precision : {Precision::float64, Precision::float32}) {
        CAPTURE(static_cast<int>(gate));
        CAPTURE(static_cast<int>(precision));
        const auto in = random_inputs(2, 70, 2, 6, 12, 9, gate, -1.0, 800);
        auto options = delta_rule_options(DeltaRuleForm::chunked, 16);
        options.precision = precision;
        const int threads_before = kernel_threads();
        set_kernel_threads(1);
        const auto serial = run_delta_rule(in, options, gate);
        for (const int threads : {2, 3, 5}) {
          CAPTURE(threads);
          set_kernel_threads(threads);
          const auto r = run_delta_rule(in, options, gate);
          CHECK(r.o.data == serial.o.data);
          CHECK(r.final_state.data == serial.final_state.data);
        }
        set_kernel_threads(threads_before);
      }
    }
  }
  SUBCASE("rejects HV not a multiple of H, a wrong gate shape and chunk size 0") {
    auto in = random_inputs(1, 3, 2, 3, 4, 4, GateKind::scalar, -1.0, 600);
    CHECK_THROWS_AS(
        run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked), GateKind::scalar),
        UserError);
    in = random_inputs(1, 3, 1, 1, 4, 4, GateKind::scalar, -1.0, 600);
    CHECK_THROWS_AS(
        run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked), GateKind::per_channel),
        UserError);
    CHECK_THROWS_AS(
        run_delta_rule(in, delta_rule_options(DeltaRuleForm::chunked, 0), GateKind::scalar),
        UserError);
  }
}

}  // namespace
}  // namespace attnsim::mixers
