// Tests of the Mamba-2 SSD reference: the worked example, an independent loop over the
// recurrence of mixers-spec §8 in the [P, N] layout (groups, D skip, dt clamp), chunked vs
// recurrent for odd sizes and strong decays, prefill + continuation, and measured vs
// closed-form FLOPs.
#include "mixers/mamba2/reference.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/npy.h"
#include "mixers/common/test_util.h"

namespace attnsim::mamba2 {
namespace {

using testing::random_tensor;

Options options_for(Form form, std::int64_t chunk = 64) {
  Options options;
  options.form = form;
  options.chunk_size = chunk;
  return options;
}

Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t P, std::int64_t N,
                     std::int64_t G, double A_min, std::uint64_t seed) {
  return {random_tensor({B, T, H, P}, seed),     random_tensor({B, T, H}, seed + 1, -4, 2),
          random_tensor({H}, seed + 2, -1, 1),   random_tensor({H}, seed + 3, A_min, -0.01),
          random_tensor({B, T, G, N}, seed + 4), random_tensor({B, T, G, N}, seed + 5),
          random_tensor({H}, seed + 6),          random_tensor({B, H, P, N}, seed + 7)};
}

// h_t = exp(Δ_t A) h_{t−1} + Δ_t x_t B_tᵀ, y_t = h_t C_t + D x_t, with h [P, N], by loops.
struct Loops {
  Tensor y, state;
};
Loops recurrence_by_loops(const Inputs& in, double dt_min, double dt_max) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), H = in.x.dim(2), P = in.x.dim(3);
  const std::int64_t G = in.Bm.dim(2), N = in.Bm.dim(3);
  Loops out{Tensor({B, T, H, P}), in.initial_state};
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t h = 0; h < H; ++h) {
      const std::int64_t g = h / (H / G);
      for (std::int64_t t = 0; t < T; ++t) {
        const double raw = in.dt[static_cast<std::size_t>((b * T + t) * H + h)] +
                           in.dt_bias[static_cast<std::size_t>(h)];
        const double delta = std::min(std::max(std::log(1 + std::exp(raw)), dt_min), dt_max);
        const double decay = std::exp(delta * in.A[static_cast<std::size_t>(h)]);
        for (std::int64_t p = 0; p < P; ++p) {
          const double x = in.x[static_cast<std::size_t>(((b * T + t) * H + h) * P + p)];
          double y = in.D[static_cast<std::size_t>(h)] * x;
          for (std::int64_t n = 0; n < N; ++n) {
            double& s = out.state[static_cast<std::size_t>(((b * H + h) * P + p) * N + n)];
            s = decay * s +
                delta * x * in.Bm[static_cast<std::size_t>(((b * T + t) * G + g) * N + n)];
            y += s * in.Cm[static_cast<std::size_t>(((b * T + t) * G + g) * N + n)];
          }
          out.y[static_cast<std::size_t>(((b * T + t) * H + h) * P + p)] = y;
        }
      }
    }
  }
  return out;
}

TEST_CASE("mamba2::run") {
  SUBCASE("worked example B2_T7_h4_g1_chunk4, both forms") {
    const std::string dir = testing::example_dir("mamba2_ssd", "B2_T7_h4_g1_chunk4");
    const Inputs in{read_npy_float(dir + "x.npy"),       read_npy_float(dir + "dt.npy"),
                    read_npy_float(dir + "dt_bias.npy"), read_npy_float(dir + "A.npy"),
                    read_npy_float(dir + "Bm.npy"),      read_npy_float(dir + "Cm.npy"),
                    read_npy_float(dir + "D.npy"),       Tensor()};
    for (const Form form : {Form::recurrent, Form::chunked}) {
      const Result r = run(in, options_for(form, 4));
      CHECK(max_abs_diff(r.y, read_npy_float(dir + "expected_y.npy")) < 1e-9);
      CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) < 1e-9);
      CHECK(max_abs_diff(r.dt_discretized, read_npy_float(dir + "expected_dt_discretized.npy")) <
            1e-9);
    }
  }
  SUBCASE("both forms equal the loops: groups, T = 63, odd sizes, chunks not dividing T") {
    const Inputs in = random_inputs(2, 63, 6, 9, 13, 2, -3.0, 60);
    const Loops expected = recurrence_by_loops(in, 0.0, std::numeric_limits<double>::infinity());
    const Result recurrent = run(in, options_for(Form::recurrent));
    CHECK(max_abs_diff(recurrent.y, expected.y) < 1e-10);
    CHECK(max_abs_diff(recurrent.final_state, expected.state) < 1e-10);
    for (const std::int64_t chunk : {1, 5, 16, 64, 100}) {
      const Result r = run(in, options_for(Form::chunked, chunk));
      CHECK(max_abs_diff(r.y, expected.y) < 1e-10);
      CHECK(max_abs_diff(r.final_state, expected.state) < 1e-10);
    }
  }
  SUBCASE("T = 1: both forms equal the loops") {
    const Inputs in = random_inputs(1, 1, 4, 3, 5, 2, -1.0, 65);
    const Loops expected = recurrence_by_loops(in, 0.0, std::numeric_limits<double>::infinity());
    for (const Form form : {Form::recurrent, Form::chunked}) {
      const Result r = run(in, options_for(form, 64));
      CHECK(max_abs_diff(r.y, expected.y) < 1e-14);
      CHECK(max_abs_diff(r.final_state, expected.state) < 1e-14);
    }
  }
  SUBCASE("strong decays (Δ·A down to about -30) and a dt clamp") {
    Inputs in = random_inputs(1, 33, 2, 5, 7, 1, -30.0, 70);
    auto options = options_for(Form::chunked, 8);
    options.dt_min = 0.05;
    options.dt_max = 1.0;
    const Loops expected = recurrence_by_loops(in, 0.05, 1.0);
    const Result r = run(in, options);
    CHECK(max_abs_diff(r.y, expected.y) < 1e-10);
    CHECK(max_abs_diff(r.final_state, expected.state) < 1e-10);
  }
  SUBCASE("prefill then decode equals one prefill, outputs and state") {
    Inputs in = random_inputs(1, 15, 4, 3, 5, 2, -1.0, 80);
    const Result full = run(in, options_for(Form::chunked, 4));
    Tensor state = in.initial_state;
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 9}, {9, 10}, {10, 15}}) {
      Inputs part = in;
      part.x = testing::token_slice(in.x, t0, t1);
      part.dt = testing::token_slice(in.dt, t0, t1);
      part.Bm = testing::token_slice(in.Bm, t0, t1);
      part.Cm = testing::token_slice(in.Cm, t0, t1);
      part.initial_state = state;
      const Result r = run(part, options_for(t1 - t0 == 1 ? Form::recurrent : Form::chunked, 4));
      CHECK(max_abs_diff(r.y, testing::token_slice(full.y, t0, t1)) < 1e-12);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) < 1e-12);
  }
  SUBCASE("the short conv fused into the loads equals the conv run first, step after step") {
    // Two convs with the same weights over x, Bm and Cm: one runs over the whole step first
    // (ShortConv::run), the other is bound and convolves inside the core. float64: the same
    // bits; float32: its own arithmetic, within float32 accuracy of float64.
    for (const Precision precision : {Precision::float64, Precision::float32}) {
      CAPTURE(static_cast<int>(precision));
      const std::int64_t H = 4, P = 3, N = 5, G = 2;
      const Tensor weights = random_tensor({H * P + 2 * G * N, 4}, 200);
      mixers::ShortConv first(weights), fused(weights);
      Tensor state = random_tensor({2, H, P, N}, 201), fused_state = state;
      for (const auto& [T, form] :
           std::vector<std::pair<std::int64_t, Form>>{{19, Form::chunked},
                                                      {1, Form::recurrent},
                                                      {2, Form::chunked},
                                                      {5, Form::recurrent}}) {
        CAPTURE(T);
        Inputs in = random_inputs(2, T, H, P, N, G, -1.0, 210 + T);
        Options options = options_for(form, 8);
        OpCounts conv_counts, fused_counts;
        const std::vector<Tensor> mixed = first.run({&in.x, &in.Bm, &in.Cm}, conv_counts);
        Inputs convolved = in;
        convolved.x = mixed[0], convolved.Bm = mixed[1], convolved.Cm = mixed[2];
        convolved.initial_state = state;
        const Result reference = run(convolved, options);  // float64
        options.precision = precision;
        const Result expected = run(convolved, options);
        in.initial_state = fused_state;
        fused.bind({&in.x, &in.Bm, &in.Cm});
        in.conv = &fused;
        const Result r = run(in, options);
        fused.finish(fused_counts);
        if (precision == Precision::float64) {
          CHECK(max_abs_diff(r.y, expected.y) == 0.0);
          CHECK(max_abs_diff(r.final_state, expected.final_state) == 0.0);
        } else {
          CHECK(max_abs_diff(r.y, reference.y) < 1e-4);
          CHECK(max_abs_diff(r.final_state, reference.final_state) < 1e-4);
        }
        CHECK(fused_counts.macs == conv_counts.macs);
        state = reference.final_state;
        fused_state = r.final_state;
      }
    }
  }
  SUBCASE("rejects H not a multiple of G") {
    CHECK_THROWS_AS(run(random_inputs(1, 3, 3, 2, 2, 2, -1.0, 90), Options()), UserError);
  }
}

TEST_CASE("mamba2::core_flops_chunked, core_flops_recurrent") {
  const Inputs in = random_inputs(2, 27, 6, 5, 7, 3, -1.0, 100);
  const Shapes shapes{6, 5, 7, 3};
  for (const std::int64_t chunk : {1, 4, 27, 64}) {
    CHECK(run(in, options_for(Form::chunked, chunk)).counts.flops() ==
          scaled(core_flops_chunked(shapes, 27, chunk), 2.0));
  }
  const Result r = run(in, options_for(Form::recurrent));
  CHECK(r.counts.flops() == scaled(core_flops_recurrent(shapes, 27), 2.0));
  CHECK(r.state_elements == 2 * state_elements(shapes));
  // Nemotron-H-8B state: 128·64·128 = 1,048,576 (mixers-spec §8).
  CHECK(state_elements({128, 64, 128, 8}) == 1048576);
}

}  // namespace
}  // namespace attnsim::mamba2
