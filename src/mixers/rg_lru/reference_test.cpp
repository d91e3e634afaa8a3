// Tests of the RG-LRU reference: the worked example with its intermediates (every form), the
// recurrence of mixers-spec-recurrent §11 written as loops (resets mid-sequence, a start at
// segment_pos > 0, H = 1, odd widths, strong decay), forms agreeing, prefill + decode, and
// measured vs closed-form FLOPs.
#include "mixers/rg_lru/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/npy.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::rg_lru {
namespace {

using testing::random_tensor;

constexpr Form kForms[] = {Form::recurrent, Form::chunked, Form::scan};

Options options_for(Form form, std::int64_t chunk = 64) {
  Options options;
  options.form = form;
  options.chunk_size = chunk;
  return options;
}

// Λ from [-3, 3] and a_scale: a large Λ makes softplus(Λ) large, a strong decay.
Inputs random_inputs(std::int64_t B, std::int64_t T, std::int64_t H, std::int64_t bw,
                     std::vector<std::int64_t> positions, double lambda_high, std::uint64_t seed) {
  const std::int64_t W = H * bw;
  Inputs in{random_tensor({B, T, W}, seed, -2, 2),         IndexTensor({B, T}),
            random_tensor({H, bw, bw}, seed + 1),          random_tensor({H, bw}, seed + 2),
            random_tensor({H, bw, bw}, seed + 3),          random_tensor({H, bw}, seed + 4),
            random_tensor({W}, seed + 5, -3, lambda_high), random_tensor({B, W}, seed + 6)};
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      in.segment_pos[static_cast<std::size_t>(b * T + t)] =
          positions[static_cast<std::size_t>(t)] + b;  // batch 1 never resets at a 0 of batch 0
  return in;
}

// h_t = a_t h_{t−1} + sqrt(1 − a_t²) gate_x_t x_t, with a_t = 0 and the multiplier 1 where
// segment_pos is 0, written with loops and naive formulas (softplus as log(1 + e^z)).
struct Loops {
  Tensor y, state;
};
Loops recurrence_by_loops(const Inputs& in, double c) {
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1), W = in.x.dim(2);
  const std::int64_t H = in.input_gate_w.dim(0), bw = W / H;
  Loops out{Tensor({B, T, W}), in.initial_state};
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t w = 0; w < W; ++w) {
        const std::int64_t h = w / bw, j = w % bw;
        double zx = in.input_gate_b[static_cast<std::size_t>(w)];
        double za = in.a_gate_b[static_cast<std::size_t>(w)];
        for (std::int64_t i = 0; i < bw; ++i) {
          const double xi = in.x[static_cast<std::size_t>((b * T + t) * W + h * bw + i)];
          zx += xi * in.input_gate_w[static_cast<std::size_t>((h * bw + i) * bw + j)];
          za += xi * in.a_gate_w[static_cast<std::size_t>((h * bw + i) * bw + j)];
        }
        const double gate_x = 1 / (1 + std::exp(-zx)), gate_a = 1 / (1 + std::exp(-za));
        const double a =
            std::exp(-c * gate_a * std::log(1 + std::exp(in.a_param[static_cast<std::size_t>(w)])));
        const bool reset = in.segment_pos[static_cast<std::size_t>(b * T + t)] == 0;
        double& state = out.state[static_cast<std::size_t>(b * W + w)];
        const double x = in.x[static_cast<std::size_t>((b * T + t) * W + w)];
        state = reset ? gate_x * x : a * state + std::sqrt(1 - a * a) * gate_x * x;
        out.y[static_cast<std::size_t>((b * T + t) * W + w)] = state;
      }
  return out;
}

TEST_CASE("rg_lru::run") {
  SUBCASE("worked example B2_T7_w16_h4: outputs and intermediates, every form") {
    const std::string dir = testing::example_dir("rg_lru", "B2_T7_w16_h4");
    const Inputs in{read_npy_float(dir + "x.npy"),
                    read_npy_int(dir + "segment_pos.npy"),
                    read_npy_float(dir + "input_gate_w.npy"),
                    read_npy_float(dir + "input_gate_b.npy"),
                    read_npy_float(dir + "a_gate_w.npy"),
                    read_npy_float(dir + "a_gate_b.npy"),
                    read_npy_float(dir + "a_param.npy"),
                    Tensor()};
    for (const Form form : kForms) {
      for (const std::int64_t chunk : {1, 4, 64}) {
        const Result r = run(in, options_for(form, chunk));
        CHECK(max_abs_diff(r.y, read_npy_float(dir + "expected_y.npy")) < 1e-12);
        CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) <
              1e-12);
        CHECK(max_abs_diff(r.gate_x, read_npy_float(dir + "expected_gate_x.npy")) < 1e-14);
        CHECK(max_abs_diff(r.gate_a, read_npy_float(dir + "expected_gate_a.npy")) < 1e-14);
        CHECK(max_abs_diff(r.log_a, read_npy_float(dir + "expected_log_a.npy")) < 1e-13);
        CHECK(max_abs_diff(r.normalized_x, read_npy_float(dir + "expected_normalized_x.npy")) <
              1e-13);
        CHECK(r.state_elements == 2 * 16);  // state_elems_per_seq 16 × B 2
      }
    }
  }
  SUBCASE("every form equals the loops: resets mid-sequence, start at segment_pos > 0") {
    // Positions 5, 6, 0, 1, 2, 3, 0, 1, …: an initial state that survives two tokens, then two
    // document starts (batch 1 is offset by one and starts again only at t = 6 → position 1).
    std::vector<std::int64_t> positions = {5, 6, 0, 1, 2, 3, 0};
    for (std::int64_t t = 1; t <= 30; ++t) positions.push_back(t);
    for (const auto& [H, bw, high] : std::vector<std::tuple<std::int64_t, std::int64_t, double>>{
             {1, 7, 3.0}, {3, 5, 3.0}, {2, 4, 60.0}}) {
      CAPTURE(H);
      const Inputs in = random_inputs(2, 37, H, bw, positions, high, 10 + H);
      const Loops expected = recurrence_by_loops(in, 8.0);
      for (const Form form : kForms) {
        for (const std::int64_t chunk : {1, 3, 16, 64}) {
          CAPTURE(chunk);
          const Result r = run(in, options_for(form, chunk));
          CHECK(max_abs_diff(r.y, expected.y) < 1e-12);
          CHECK(max_abs_diff(r.final_state, expected.state) < 1e-12);
        }
      }
    }
  }
  SUBCASE("every form equals the loops across pass 1's tiles of 128 tokens, float64 and float32") {
    // T = 300: tiles 0–127, 128–255, 256–299; document starts at 127 (the last row of a tile),
    // 128 (the first of the next) and 290, so the state crosses tile ends and resets on both
    // sides of one.
    std::vector<std::int64_t> positions;
    for (std::int64_t t = 0, p = 3; t < 300; ++t, ++p) {
      if (t == 127 || t == 128 || t == 290) p = 0;
      positions.push_back(p);
    }
    const Inputs in = random_inputs(2, 300, 3, 5, positions, 3.0, 60);
    const Loops expected = recurrence_by_loops(in, 8.0);
    for (const Form form : kForms) {
      CAPTURE(static_cast<int>(form));
      Options options = options_for(form, 64);
      const Result r = run(in, options);
      CHECK(max_abs_diff(r.y, expected.y) < 1e-12);
      CHECK(max_abs_diff(r.final_state, expected.state) < 1e-12);
      // float32 throughout (gates, decays and the state). The values are up to about 3, float32's
      // epsilon 1.2e-7: the recurrence and the scan keep within 1e-6 (4.2e-7 measured). The
      // chunked form differences chunk-local cumulative sums Γ of log a, which reach about
      // 64 · 8 · softplus(3) ≈ 1,560 here, where a float32 ulp is 1.2e-4: its error grows with
      // the decay (1.0e-5 measured), hence 3e-5.
      options.precision = Precision::float32;
      const Result r32 = run(in, options);
      const double tolerance = form == Form::chunked ? 3e-5 : 1e-6;
      CHECK(max_abs_diff(r32.y, expected.y) < tolerance);
      CHECK(max_abs_diff(r32.final_state, expected.state) < tolerance);
    }
  }
  SUBCASE("results do not depend on the run or the thread count") {
    const int threads_before = mixers::kernel_threads();
    const Inputs in = random_inputs(2, 300, 3, 5, std::vector<std::int64_t>(300, 1), 3.0, 70);
    for (const Form form : kForms) {
      for (const Precision precision : {Precision::float64, Precision::float32}) {
        Options options = options_for(form, 64);
        options.precision = precision;
        mixers::set_kernel_threads(1);
        const Result serial = run(in, options);
        for (const int threads : {1, 2, 3}) {
          mixers::set_kernel_threads(threads);
          const Result r = run(in, options);
          CHECK(r.y.data == serial.y.data);
          CHECK(r.final_state.data == serial.final_state.data);
          CHECK(r.normalized_x.data == serial.normalized_x.data);
        }
      }
    }
    mixers::set_kernel_threads(threads_before);
  }
  SUBCASE("no segment_pos: no resets; T = 1") {
    Inputs in = random_inputs(1, 1, 2, 3, {4}, 1.0, 20);
    const Loops expected = recurrence_by_loops(in, 8.0);
    in.segment_pos = IndexTensor();
    for (const Form form : kForms)
      CHECK(max_abs_diff(run(in, options_for(form)).y, expected.y) < 1e-15);
  }
  SUBCASE("prefill then decode equals one prefill") {
    std::vector<std::int64_t> positions;
    for (std::int64_t t = 0; t < 19; ++t) positions.push_back(t);
    Inputs in = random_inputs(2, 19, 2, 3, positions, 2.0, 30);
    in.initial_state = Tensor();
    const Result full = run(in, options_for(Form::chunked, 4));
    Tensor state;
    for (const auto& [t0, t1] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 13}, {13, 14}, {14, 19}}) {
      Inputs part = in;
      part.x = testing::token_slice(in.x, t0, t1);
      part.segment_pos = IndexTensor({2, t1 - t0});
      for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t t = t0; t < t1; ++t)
          part.segment_pos[static_cast<std::size_t>(b * (t1 - t0) + t - t0)] =
              in.segment_pos[static_cast<std::size_t>(b * 19 + t)];
      part.initial_state = state;
      const Result r = run(part, options_for(t1 - t0 == 1 ? Form::recurrent : Form::chunked, 4));
      CHECK(max_abs_diff(r.y, testing::token_slice(full.y, t0, t1)) < 1e-14);
      state = r.final_state;
    }
    CHECK(max_abs_diff(state, full.final_state) < 1e-14);
  }
  SUBCASE("float32 stays within float32 accuracy") {
    const Inputs in = random_inputs(1, 23, 2, 8, std::vector<std::int64_t>(23, 1), 2.0, 40);
    Options options = options_for(Form::chunked, 8);
    const Tensor expected = run(in, options).y;
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).y, expected) < 1e-5);
  }
}

TEST_CASE("rg_lru::core_flops_recurrent, core_flops_chunked, core_flops_scan") {
  const Inputs in = random_inputs(2, 11, 3, 4, std::vector<std::int64_t>(11, 1), 1.0, 50);
  const Shapes shapes{12, 3};
  // Gates: 2 × W 12 × bw 4 = 96 multiply-adds per token, 11 tokens → 2,112 FLOPs per sequence.
  CHECK(total_flops(gate_flops(shapes, 11)) == 2112.0);
  // Recurrent: + 12 per token → 2 · (1056 + 132) = 2,376 FLOPs.
  CHECK(total_flops(core_flops_recurrent(shapes, 11)) == 2376.0);
  // Chunks of 4, 4, 3: 10 + 10 + 6 = 26 pairs and 11 start-state terms per channel
  // → 2 · (1056 + 12 · 37) = 3,000 FLOPs.
  CHECK(total_flops(core_flops_chunked(shapes, 11, 4)) == 3000.0);
  // Scan of 11: offsets 1, 2, 4, 8 combine 10 + 9 + 7 + 3 = 29, then 11 → 2 · (1056 + 12 · 40)
  // = 3,072 FLOPs.
  CHECK(total_flops(core_flops_scan(shapes, 11)) == 3072.0);
  CHECK(run(in, options_for(Form::recurrent)).counts.flops() ==
        scaled(core_flops_recurrent(shapes, 11), 2.0));
  CHECK(run(in, options_for(Form::scan)).counts.flops() ==
        scaled(core_flops_scan(shapes, 11), 2.0));
  for (const std::int64_t chunk : {1, 4, 11, 64})
    CHECK(run(in, options_for(Form::chunked, chunk)).counts.flops() ==
          scaled(core_flops_chunked(shapes, 11, chunk), 2.0));
  // RecurrentGemma-2B (W 2560, bw 256): gates 4 · 2560 · 256 = 2,621,440 FLOPs per token (the
  // spec's 2.64 MFLOP adds ≈ 8·W elementwise), state 2,560.
  CHECK(total_flops(gate_flops({2560, 10}, 1)) == 2621440.0);
  CHECK(state_elements({2560, 10}) == 2560);
}

}  // namespace
}  // namespace attnsim::rg_lru
