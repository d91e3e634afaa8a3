// Tests of the Mamba-1 selective-scan reference: a T = 2 case worked by hand, an independent
// loop over the recurrence of mamba_ssm's selective_scan_ref (odd sizes, batches, gate, initial
// state), prefill + continuation, channel blocks over threads, and measured vs closed-form FLOPs.
#include "mixers/mamba1/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::mamba1 {
namespace {

using testing::random_tensor;

Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t d_inner, std::int64_t N,
                     std::uint64_t seed) {
  return {
      random_tensor({B, T, d_inner}, seed),      random_tensor({B, T, d_inner}, seed + 1, -4, 2),
      random_tensor({d_inner}, seed + 2, -1, 1), random_tensor({d_inner, N}, seed + 3, -3, -0.01),
      random_tensor({B, T, N}, seed + 4),        random_tensor({B, T, N}, seed + 5),
      random_tensor({d_inner}, seed + 6),        random_tensor({B, T, d_inner}, seed + 7, -3, 3),
      random_tensor({B, d_inner, N}, seed + 8)};
}

// h[c, n] = exp(Δ A[c, n]) h[c, n] + Δ B[n] x[c]; y[c] = (Σ_n C[n] h[c, n] + D[c] x[c]) silu(z[c])
// with Δ = log(1 + e^(dt + dt_bias)), by scalar loops.
struct Loops {
  Tensor y, state;
};
Loops recurrence_by_loops(const Inputs& in) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), E = in.x.dim(2), N = in.A.dim(1);
  Loops out{Tensor({B, T, E}), in.initial_state};
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t c = 0; c < E; ++c) {
        const auto i = static_cast<std::size_t>((b * T + t) * E + c);
        const double delta =
            std::log(1 + std::exp(in.dt[i] + in.dt_bias[static_cast<std::size_t>(c)]));
        double y = in.D[static_cast<std::size_t>(c)] * in.x[i];
        for (std::int64_t n = 0; n < N; ++n) {
          const auto bc = static_cast<std::size_t>((b * T + t) * N + n);
          double& h = out.state[static_cast<std::size_t>((b * E + c) * N + n)];
          h = std::exp(delta * in.A[static_cast<std::size_t>(c * N + n)]) * h +
              delta * in.Bm[bc] * in.x[i];
          y += in.Cm[bc] * h;
        }
        if (!in.z.empty()) y *= in.z[i] / (1 + std::exp(-in.z[i]));
        out.y[i] = y;
      }
    }
  }
  return out;
}

// The raw dt that softplus turns into Δ: log(e^Δ − 1) − bias.
double raw_dt_for(double delta, double bias) { return std::log(std::expm1(delta)) - bias; }

TEST_CASE("mamba1::run") {
  SUBCASE("T = 2, d_inner = 2, N = 2 by hand, with an initial state and the gate") {
    // Δ = [[1, 2], [2, 1]] (token, channel); A = [[−ln2, −ln4], [−ln4, −ln2]] so that
    // exp(ΔA) is a power of 1/2: channel 0 decays [1/2, 1/4] at Δ = 1 and [1/4, 1/16] at Δ = 2,
    // channel 1 decays [1/16, 1/4] at Δ = 2 and [1/4, 1/2] at Δ = 1.
    const double ln2 = std::log(2.0), ln4 = std::log(4.0);
    Inputs in{Tensor({1, 2, 2}), Tensor({1, 2, 2}), Tensor({2}),
              Tensor({2, 2}),    Tensor({1, 2, 2}), Tensor({1, 2, 2}),
              Tensor({2}),       Tensor(),          Tensor({1, 2, 2})};
    in.dt_bias.data = {0.5, -0.5};
    in.dt.data = {raw_dt_for(1, 0.5), raw_dt_for(2, -0.5), raw_dt_for(2, 0.5), raw_dt_for(1, -0.5)};
    in.A.data = {-ln2, -ln4, -ln4, -ln2};
    in.x.data = {1, -1, 2, 1};   // x[t][c]
    in.Bm.data = {1, 2, -1, 1};  // B[t][n]
    in.Cm.data = {1, 1, 2, -1};  // C[t][n]
    in.D.data = {0.5, -1};
    in.initial_state.data = {1, -1, 2, 0};  // h₀[c][n]
    // t = 0, c = 0: Δx = 1; h = [½·1 + 1·1, ¼·(−1) + 1·2] = [1.5, 1.75];
    //   y = 1·1.5 + 1·1.75 + 0.5·1 = 3.75
    // t = 0, c = 1: Δx = 2·(−1) = −2; h = [2/16 − 2·1, ¼·0 − 2·2] = [−1.875, −4];
    //   y = −1.875 − 4 + (−1)(−1) = −4.875
    // t = 1, c = 0: Δx = 2·2 = 4; h = [¼·1.5 + 4·(−1), 1.75/16 + 4·1] = [−3.625, 4.109375];
    //   y = 2·(−3.625) − 4.109375 + 0.5·2 = −10.359375
    // t = 1, c = 1: Δx = 1·1 = 1; h = [¼·(−1.875) + 1·(−1), ½·(−4) + 1·1] = [−1.46875, −1];
    //   y = 2·(−1.46875) − (−1) + (−1)·1 = −2.9375
    Tensor expected_y({1, 2, 2});
    expected_y.data = {3.75, -4.875, -10.359375, -2.9375};
    Tensor expected_state({1, 2, 2});
    expected_state.data = {-3.625, 4.109375, -1.46875, -1};
    Tensor expected_delta({1, 2, 2});
    expected_delta.data = {1, 2, 2, 1};

    const Result r = run(in);
    CHECK(max_abs_diff(r.y, expected_y) < 1e-12);
    CHECK(max_abs_diff(r.final_state, expected_state) < 1e-12);
    CHECK(max_abs_diff(r.dt_discretized, expected_delta) < 1e-12);

    // Gate z = ln 3 everywhere: silu(ln 3) = ln 3 · σ(ln 3) = ln 3 · 1/(1 + 1/3) = ¾·ln 3.
    in.z = Tensor({1, 2, 2}, std::log(3.0));
    const Result gated = run(in);
    for (double& y : expected_y.data) y *= 0.75 * std::log(3.0);
    CHECK(max_abs_diff(gated.y, expected_y) < 1e-12);
    CHECK(max_abs_diff(gated.final_state, expected_state) < 1e-12);  // the gate is after the scan
  }
  SUBCASE("equals the loops: batches, T = 63, odd sizes, gate and initial state") {
    const Inputs in = random_inputs(2, 63, 13, 7, 10);
    const Loops expected = recurrence_by_loops(in);
    const Result r = run(in);
    CHECK(max_abs_diff(r.y, expected.y) < 1e-10);
    CHECK(max_abs_diff(r.final_state, expected.state) < 1e-10);
  }
  SUBCASE("T = 1, no gate, zero initial state: equals the loops") {
    Inputs in = random_inputs(1, 1, 5, 3, 20);
    in.z = Tensor();
    in.initial_state = Tensor();
    Inputs zeros = in;
    zeros.initial_state = Tensor({1, 5, 3});
    const Loops expected = recurrence_by_loops(zeros);
    const Result r = run(in);
    CHECK(max_abs_diff(r.y, expected.y) < 1e-14);
    CHECK(max_abs_diff(r.final_state, expected.state) < 1e-14);
  }
  SUBCASE("prefill then decode equals one prefill, outputs and state") {
    const Inputs in = random_inputs(1, 15, 9, 5, 30);
    const Result full = run(in);
    Tensor state = in.initial_state;
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 9}, {9, 10}, {10, 11}, {11, 15}}) {
      Inputs part = in;
      for (Tensor* per_token : {&part.x, &part.dt, &part.Bm, &part.Cm, &part.z})
        *per_token = testing::token_slice(*per_token, t0, t1);
      part.initial_state = state;
      const Result r = run(part);
      CHECK(max_abs_diff(r.y, testing::token_slice(full.y, t0, t1)) < 1e-12);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) < 1e-12);
  }
  SUBCASE("channel blocks of 128 over threads: the loops' values, the same bits for any count") {
    // d_inner 300 = two whole blocks and one of 44; B = 2 makes six tasks.
    const Inputs in = random_inputs(2, 20, 300, 6, 50);
    const Loops expected = recurrence_by_loops(in);
    const int threads_before = mixers::kernel_threads();
    mixers::set_kernel_threads(1);
    const Result serial = run(in);
    CHECK(max_abs_diff(serial.y, expected.y) < 1e-10);
    CHECK(max_abs_diff(serial.final_state, expected.state) < 1e-10);
    for (const int threads : {2, 3, 5}) {
      CAPTURE(threads);
      mixers::set_kernel_threads(threads);
      const Result r = run(in);
      CHECK(r.y.data == serial.y.data);
      CHECK(r.final_state.data == serial.final_state.data);
    }
    mixers::set_kernel_threads(threads_before);
  }
  SUBCASE("rejects B and C of another state size than A") {
    Inputs in = random_inputs(1, 3, 4, 2, 40);
    in.Cm = random_tensor({1, 3, 3}, 41);
    CHECK_THROWS_AS(run(in), UserError);
  }
}

TEST_CASE("mamba1::core_flops, state_elements") {
  const Result r = run(random_inputs(2, 27, 11, 6, 50));
  // Measured over B = 2 sequences: twice the closed form of one.
  CHECK(r.counts.flops() == scaled(core_flops({11, 6}, 27), 2.0));
  // By hand: 27 tokens · 11 channels · 6 states = 1782 multiply-adds each → 3564 FLOPs.
  CHECK(core_flops({11, 6}, 27) == FlopCounts{{"readout", 3564.0}, {"state_update", 3564.0}});
  CHECK(r.state_elements == 2 * 11 * 6);
  // Jamba-1.5-Mini: d_inner = expand 2 × hidden 4096 = 8192, d_state 16 → 131,072 elements
  // (config.json of ai21labs/AI21-Jamba-1.5-Mini, architectures/jamba-1.5-mini.yaml).
  CHECK(state_elements({8192, 16}) == 131072);
}

}  // namespace
}  // namespace attnsim::mamba1
