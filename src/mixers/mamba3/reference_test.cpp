// Tests of the Mamba-3 reference: the worked example, an independent token loop over the
// recurrence of mixers-spec-new §A (complex rotation, SISO and MIMO, G > 1, rope_fraction 1.0,
// no z / no D, the fused output norm), chunked vs recurrent for chunks that do not divide T and
// strong decays, prefill then decode, and measured vs closed-form FLOPs.
#include "mixers/mamba3/reference.h"

#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "core/error.h"
#include "core/npy.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"

namespace attnsim::mamba3 {
namespace {

using testing::random_tensor;

struct Case {
  std::int64_t B = 1, T = 9, H = 4, P = 3, N = 8, G = 1, R = 1, S = 2;
  bool has_D = true, has_z = true, mimo = false, norm = false, states = true;
  double adt_min = -2.0;
  std::uint64_t seed = 1;
};

Inputs random_inputs(const Case& c) {
  std::uint64_t seed = c.seed * 100;
  Inputs in;
  in.q = random_tensor({c.B, c.T, c.R, c.G, c.N}, ++seed);
  in.k = random_tensor({c.B, c.T, c.R, c.G, c.N}, ++seed);
  in.v = random_tensor({c.B, c.T, c.H, c.P}, ++seed);
  in.dt = random_tensor({c.B, c.T, c.H}, ++seed, 0.001, 0.5);
  in.adt = random_tensor({c.B, c.T, c.H}, ++seed, c.adt_min, -0.001);
  in.trap = random_tensor({c.B, c.T, c.H}, ++seed, -3, 3);
  in.angles = random_tensor({c.B, c.T, c.H, c.S}, ++seed, -3, 3);
  in.q_bias = random_tensor({c.H, c.R, c.N}, ++seed, 0.5, 1.5);
  in.k_bias = random_tensor({c.H, c.R, c.N}, ++seed, 0.5, 1.5);
  if (c.has_D) in.D = random_tensor({c.H}, ++seed);
  if (c.has_z) in.z = random_tensor({c.B, c.T, c.H, c.P}, ++seed, -2, 2);
  if (c.mimo) {
    in.mimo_v = random_tensor({c.H, c.R, c.P}, ++seed);
    in.mimo_z = random_tensor({c.H, c.R, c.P}, ++seed);
    in.mimo_o = random_tensor({c.H, c.R, c.P}, ++seed);
  }
  if (c.norm) in.outproj_norm_weight = random_tensor({c.H, c.P}, ++seed, 0.5, 1.5);
  if (c.states) {
    in.initial_angle_state = random_tensor({c.B, c.H, c.S}, ++seed, -10, 10);
    in.initial_ssm_state = random_tensor({c.B, c.H, c.P, c.N}, ++seed);
    in.initial_k_state = random_tensor({c.B, c.R, c.H, c.N}, ++seed);
    in.initial_v_state = random_tensor({c.B, c.H, c.P}, ++seed);
  }
  return in;
}

Options options_for(Form form, std::int64_t chunk, const Case& c) {
  Options options;
  options.form = form;
  options.chunk_size = chunk;
  options.pairing = c.mimo ? RopePairing::half : RopePairing::interleaved;
  options.outproj_norm = c.norm;
  return options;
}

// The recurrence of mixers-spec-new §A token by token, with the rotation as a complex product
// (a + ib)·e^{iΘ} on each pair.
struct Loops {
  Tensor y, angle, ssm, k, v;
};
Loops recurrence_by_loops(const Inputs& in, const Case& c) {
  const std::int64_t B = c.B, T = c.T, H = c.H, P = c.P, N = c.N, R = c.R, S = c.S;
  const auto get = [](const Tensor& t, std::int64_t i, double fallback = 0.0) {
    return t.empty() ? fallback : t[static_cast<std::size_t>(i)];
  };
  Loops out{Tensor({B, T, H, P}), Tensor({B, H, S}), Tensor({B, H, P, N}), Tensor({B, R, H, N}),
            Tensor({B, H, P})};
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t hd = 0; hd < H; ++hd) {
      const std::int64_t g = hd / (H / c.G);
      std::vector<double> theta(S), h(P * N), x_prev(P), k_prev(R * N);
      for (std::int64_t j = 0; j < S; ++j)
        theta[j] = get(in.initial_angle_state, (b * H + hd) * S + j);
      for (std::int64_t i = 0; i < P * N; ++i)
        h[i] = get(in.initial_ssm_state, (b * H + hd) * P * N + i);
      for (std::int64_t p = 0; p < P; ++p)
        x_prev[p] = get(in.initial_v_state, (b * H + hd) * P + p);
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t n = 0; n < N; ++n)
          k_prev[r * N + n] = get(in.initial_k_state, ((b * R + r) * H + hd) * N + n);
      for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t bth = (b * T + t) * H + hd;
        const double dt = in.dt[bth], lam = 1.0 / (1.0 + std::exp(-in.trap[bth]));
        const double alpha = std::exp(in.adt[bth]), beta = (1 - lam) * dt * alpha, gamma = lam * dt;
        for (std::int64_t j = 0; j < S; ++j)
          theta[j] += std::numbers::pi * std::tanh(in.angles[bth * S + j]) * dt;
        std::vector<double> q(R * N), k(R * N), x(P);
        for (std::int64_t r = 0; r < R; ++r) {
          for (std::int64_t n = 0; n < N; ++n) {
            const std::int64_t src = (((b * T + t) * R + r) * c.G + g) * N + n;
            q[r * N + n] = in.q[src] + in.q_bias[(hd * R + r) * N + n];
            k[r * N + n] = in.k[src] + in.k_bias[(hd * R + r) * N + n];
          }
          for (std::int64_t j = 0; j < S; ++j) {
            const std::int64_t ia = c.mimo ? j : 2 * j, ib = c.mimo ? j + N / 2 : 2 * j + 1;
            for (double* u : {&q[r * N], &k[r * N]}) {
              const std::complex<double> turned =
                  std::complex<double>(u[ia], u[ib]) * std::polar(1.0, theta[j]);
              u[ia] = turned.real();
              u[ib] = turned.imag();
            }
          }
        }
        for (std::int64_t p = 0; p < P; ++p) x[p] = in.v[bth * P + p];
        const auto mv = [&](std::int64_t r, std::int64_t p) {
          return get(in.mimo_v, (hd * R + r) * P + p, 1.0);
        };
        for (std::int64_t p = 0; p < P; ++p)
          for (std::int64_t n = 0; n < N; ++n) {
            double update = alpha * h[p * N + n];
            for (std::int64_t r = 0; r < R; ++r)
              update += beta * x_prev[p] * mv(r, p) * k_prev[r * N + n] +
                        gamma * x[p] * mv(r, p) * k[r * N + n];
            h[p * N + n] = update;
          }
        for (std::int64_t r = 0; r < R; ++r) {
          std::vector<double> o(P);
          for (std::int64_t p = 0; p < P; ++p) {
            o[p] = get(in.D, hd) * x[p] * mv(r, p);
            for (std::int64_t n = 0; n < N; ++n) o[p] += h[p * N + n] * q[r * N + n];
          }
          if (c.norm) {
            double ms = 0;
            for (double value : o) ms += value * value / static_cast<double>(P);
            for (std::int64_t p = 0; p < P; ++p)
              o[p] *= in.outproj_norm_weight[hd * P + p] / std::sqrt(ms + 1e-5);
          }
          for (std::int64_t p = 0; p < P; ++p) {
            if (c.has_z) {
              const double zz = in.z[bth * P + p] * get(in.mimo_z, (hd * R + r) * P + p, 1.0);
              o[p] *= zz / (1.0 + std::exp(-zz));
            }
            out.y[bth * P + p] += get(in.mimo_o, (hd * R + r) * P + p, 1.0) * o[p];
          }
        }
        x_prev = x;
        k_prev = k;
      }
      for (std::int64_t j = 0; j < S; ++j) out.angle[(b * H + hd) * S + j] = reduce_angle(theta[j]);
      for (std::int64_t i = 0; i < P * N; ++i) out.ssm[(b * H + hd) * P * N + i] = h[i];
      for (std::int64_t p = 0; p < P; ++p) out.v[(b * H + hd) * P + p] = x_prev[p];
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t n = 0; n < N; ++n)
          out.k[((b * R + r) * H + hd) * N + n] = k_prev[r * N + n];
    }
  }
  return out;
}

// Largest distance between angles modulo 2π.
double angle_diff(const Tensor& a, const Tensor& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(reduce_angle(a[i] - b[i] + std::numbers::pi) - std::numbers::pi);
    worst = std::max(worst, d);
  }
  return worst;
}

void check_against_loops(const Case& c, std::vector<std::int64_t> chunks, double tol) {
  const Inputs in = random_inputs(c);
  const Loops expected = recurrence_by_loops(in, c);
  const auto check = [&](const Result& r) {
    CHECK(max_abs_diff(r.y, expected.y) < tol);
    CHECK(max_abs_diff(r.final_ssm_state, expected.ssm) < tol);
    CHECK(max_abs_diff(r.final_k_state, expected.k) < tol);
    CHECK(max_abs_diff(r.final_v_state, expected.v) == 0.0);
    CHECK(angle_diff(r.final_angle_state, expected.angle) < tol);
  };
  check(run(in, options_for(Form::recurrent, 64, c)));
  for (const std::int64_t chunk : chunks) {
    CAPTURE(chunk);
    check(run(in, options_for(Form::chunked, chunk, c)));
  }
}

TEST_CASE("mamba3::run") {
  SUBCASE("worked example siso_B2_T7_h4_g1_n16_p8_chunk4_state, both forms") {
    const std::string dir = testing::example_dir("mamba3", "siso_B2_T7_h4_g1_n16_p8_chunk4_state");
    const auto npy = [&](const std::string& name) { return read_npy_float(dir + name + ".npy"); };
    Inputs in;
    in.q = npy("q");
    in.k = npy("k");
    in.v = npy("v");
    in.dt = npy("dt");
    in.adt = npy("adt");
    in.trap = npy("trap");
    in.angles = npy("angles");
    in.q_bias = npy("q_bias");
    in.k_bias = npy("k_bias");
    in.D = npy("D");
    in.z = npy("z");
    in.initial_angle_state = npy("initial_angle_state");
    in.initial_ssm_state = npy("initial_ssm_state");
    in.initial_k_state = npy("initial_k_state");
    in.initial_v_state = npy("initial_v_state");
    for (const Form form : {Form::recurrent, Form::chunked}) {
      for (const std::int64_t chunk : {1, 4, 5, 64}) {
        Options options;
        options.form = form;
        options.chunk_size = chunk;
        options.intermediates = true;
        const Result r = run(in, options);
        CHECK(max_abs_diff(r.y, npy("expected_y")) < 1e-9);
        CHECK(max_abs_diff(r.final_ssm_state, npy("expected_final_ssm_state")) < 1e-9);
        CHECK(max_abs_diff(r.final_k_state, npy("expected_final_k_state")) < 1e-9);
        CHECK(max_abs_diff(r.final_v_state, npy("expected_final_v_state")) < 1e-9);
        CHECK(max_abs_diff(r.final_angle_state, npy("expected_final_angle_state")) < 1e-9);
        CHECK(max_abs_diff(r.theta, npy("expected_theta")) < 1e-9);
        CHECK(max_abs_diff(r.q_rot, npy("expected_q_rot")) < 1e-9);
        CHECK(max_abs_diff(r.k_rot, npy("expected_k_rot")) < 1e-9);
        // State per sequence from case.json: 512 + 16 + 64 + 32.
        CHECK(r.state_elements == 2 * 624);
      }
    }
  }
  SUBCASE("SISO, T = 63, odd sizes, chunks that do not divide T") {
    Case c;
    c.B = 2, c.T = 63, c.H = 6, c.P = 5, c.N = 12, c.S = 3, c.seed = 2;
    check_against_loops(c, {1, 5, 16, 64, 100}, 1e-10);
  }
  SUBCASE("MIMO R = 2, 4 and 8 with (j, j + N/2) pairs, G = 2, the fused output norm") {
    for (const std::int64_t R : {2, 4, 8}) {
      CAPTURE(R);
      Case c;
      c.T = 13, c.H = 4, c.P = 3, c.N = 8, c.G = 2, c.R = R, c.S = 2, c.mimo = true, c.norm = true;
      c.seed = 3 + static_cast<std::uint64_t>(R);
      check_against_loops(c, {1, 3, 64 / R}, 1e-10);
    }
  }
  SUBCASE("rope_fraction 1.0 (S = N/2), no z, no D, zero initial states") {
    Case c;
    c.T = 11, c.N = 8, c.S = rope_angles(8, 1.0), c.has_D = false, c.has_z = false;
    c.states = false, c.seed = 20;
    CHECK(c.S == 4);
    check_against_loops(c, {4}, 1e-10);
    c.mimo = true, c.R = 2, c.seed = 21;
    check_against_loops(c, {3}, 1e-10);
  }
  SUBCASE("strong decays: adt down to −94 per step, about −1,500 over the sequence") {
    Case c;
    c.T = 33, c.adt_min = -94.0, c.seed = 30;
    check_against_loops(c, {4, 16, 33}, 1e-10);
    c.mimo = true, c.R = 4, c.seed = 31;
    check_against_loops(c, {7}, 1e-10);
  }
  SUBCASE("prefill then decode equals one prefill, outputs and all four states") {
    for (const bool mimo : {false, true}) {
      Case c;
      c.T = 15, c.mimo = mimo, c.R = mimo ? 2 : 1, c.seed = 40;
      Inputs in = random_inputs(c);
      const Result full = run(in, options_for(Form::chunked, 4, c));
      for (const auto& [t0, t1] :
           std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 9}, {9, 10}, {10, 15}}) {
        Inputs part = in;
        for (Tensor* t :
             {&part.q, &part.k, &part.v, &part.dt, &part.adt, &part.trap, &part.angles, &part.z})
          *t = testing::token_slice(*t, t0, t1);
        const Result r =
            run(part, options_for(t1 - t0 == 1 ? Form::recurrent : Form::chunked, 4, c));
        CHECK(max_abs_diff(r.y, testing::token_slice(full.y, t0, t1)) < 1e-12);
        in.initial_angle_state = r.final_angle_state;
        in.initial_ssm_state = r.final_ssm_state;
        in.initial_k_state = r.final_k_state;
        in.initial_v_state = r.final_v_state;
      }
      CHECK(max_abs_diff(in.initial_ssm_state, full.final_ssm_state) < 1e-12);
      CHECK(max_abs_diff(in.initial_k_state, full.final_k_state) < 1e-12);
      CHECK(max_abs_diff(in.initial_v_state, full.final_v_state) == 0.0);
      CHECK(angle_diff(in.initial_angle_state, full.final_angle_state) < 1e-12);
    }
  }
  SUBCASE("float32 stays within 1e-4 of float64") {
    Case c;
    c.T = 20, c.mimo = true, c.R = 2, c.seed = 50;
    const Inputs in = random_inputs(c);
    Options options = options_for(Form::chunked, 8, c);
    const Result r64 = run(in, options);
    options.precision = Precision::float32;
    CHECK(max_abs_diff(run(in, options).y, r64.y) < 1e-4);
  }
  SUBCASE("same bits on 1, 2, 3, 5 and 12 threads and run to run, both forms, both precisions") {
    // B·H = 12 (sequence, head) pairs: tasks of 4 heads on 1–3 threads, 2 on 5, 1 on 12.
    Case c;
    c.B = 2, c.T = 37, c.H = 6, c.P = 5, c.N = 8, c.G = 3, c.R = 4, c.mimo = true, c.seed = 60;
    const Inputs in = random_inputs(c);
    const int threads_before = mixers::kernel_threads();
    for (const Precision precision : {Precision::float64, Precision::float32})
      for (const Form form : {Form::chunked, Form::recurrent}) {
        CAPTURE(static_cast<int>(precision));
        CAPTURE(static_cast<int>(form));
        Options options = options_for(form, 4, c);
        options.precision = precision;
        mixers::set_kernel_threads(1);
        const Result serial = run(in, options);
        for (const int threads : {1, 2, 3, 5, 12}) {
          CAPTURE(threads);
          mixers::set_kernel_threads(threads);
          for (const Result& r : {run(in, options), run(in, options)}) {
            CHECK(r.y.data == serial.y.data);
            CHECK(r.final_ssm_state.data == serial.final_ssm_state.data);
            CHECK(r.final_k_state.data == serial.final_k_state.data);
            CHECK(r.final_angle_state.data == serial.final_angle_state.data);
          }
        }
      }
    mixers::set_kernel_threads(threads_before);
  }
  SUBCASE("rejects H not a multiple of G, too many angles, outproj_norm without weight") {
    Case c;
    c.G = 3;
    CHECK_THROWS_AS(run(random_inputs(c), Options()), UserError);
    c = Case();
    c.S = 5;  // N = 8 holds 4 pairs
    CHECK_THROWS_AS(run(random_inputs(c), Options()), UserError);
    Options options;
    options.outproj_norm = true;
    CHECK_THROWS_AS(run(random_inputs(Case()), options), UserError);
  }
}

TEST_CASE("mamba3::core_flops_chunked, core_flops_recurrent") {
  SUBCASE("hand arithmetic: H = 2, P = 3, N = 4, R = 2, T = 5") {
    const Shapes shapes{2, 3, 4, 1, 2, 1};
    // Recurrent: 2 updates · R·P·N = 48 and a read-out R·P·N = 24 multiply-adds per head and
    // token; · H·T = 10 → 480 and 240 multiply-adds.
    const FlopCounts recurrent = core_flops_recurrent(shapes, 5);
    CHECK(recurrent.at("state_update") == 960.0);
    CHECK(recurrent.at("readout") == 480.0);
    // Chunks of 2: c = 2, 2, 1. Per head: update Σ R·P·N·(1 + c) = 24·(3 + 3 + 2) = 192,
    // read Σ c·R·P·N = 5·24 = 120, pairs R²·Σ c(c+1)/2 = 4·(3 + 3 + 1) = 28 → scores 28·N = 112,
    // intra 28·P = 84; · H = 2 and · 2 FLOPs.
    const FlopCounts chunked = core_flops_chunked(shapes, 5, 2);
    CHECK(chunked.at("state_update") == 768.0);
    CHECK(chunked.at("state_read") == 480.0);
    CHECK(chunked.at("scores") == 448.0);
    CHECK(chunked.at("intra_output") == 336.0);
  }
  SUBCASE("the spec's per-token form H·[4RPN + R²(C+1)(N+P) + 2RPN/C] when C divides T") {
    // H = 2, P = 3, N = 4, R = 2, C = 16: 4RPN = 96, R²(C+1)(N+P) = 4·17·7 = 476,
    // 2RPN/C = 48/16 = 3 → 575 per head and token; · 2 heads · 64 tokens = 73,600.
    CHECK(total_flops(core_flops_chunked({2, 3, 4, 1, 2, 1}, 64, 16)) == 73600.0);
    // SISO decode: 6·H·P·N = 6·32·64·128 = 1,572,864 (the spec's 7 counts the decay too).
    CHECK(total_flops(core_flops_recurrent({32, 64, 128, 1, 1, 32}, 1)) == 1572864.0);
  }
  SUBCASE("the kernel's measured counts equal the closed forms") {
    Case c;
    c.B = 2, c.T = 27, c.H = 6, c.P = 5, c.N = 8, c.G = 3, c.R = 2, c.S = 2, c.mimo = true;
    const Inputs in = random_inputs(c);
    const Shapes shapes{6, 5, 8, 3, 2, 2};
    for (const std::int64_t chunk : {1, 4, 27, 64}) {
      CAPTURE(chunk);
      CHECK(run(in, options_for(Form::chunked, chunk, c)).counts.flops() ==
            scaled(core_flops_chunked(shapes, 27, chunk), 2.0));
    }
    const Result r = run(in, options_for(Form::recurrent, 64, c));
    CHECK(r.counts.flops() == scaled(core_flops_recurrent(shapes, 27), 2.0));
    CHECK(r.state_elements == 2 * state_elements(shapes));
  }
  SUBCASE("state sizes") {
    // mixers-spec-new §A: H = 32, P = 64, N = 128, R = 4, S = 32 →
    // 262,144 + 1,024 + 16,384 + 2,048 = 281,600 elements.
    const Shapes tuned{32, 64, 128, 1, 4, 32};
    CHECK(ssm_state_elements(tuned) == 262144);
    CHECK(angle_state_elements(tuned) == 1024);
    CHECK(k_state_elements(tuned) == 16384);
    CHECK(v_state_elements(tuned) == 2048);
    CHECK(state_elements(tuned) == 281600);
    // S = ⌊N·fraction⌋ lowered to even, halved: N = 16 → 4 and 8; N = 6, 0.5 → 3 → 2 → 1.
    CHECK(rope_angles(16, 0.5) == 4);
    CHECK(rope_angles(16, 1.0) == 8);
    CHECK(rope_angles(6, 0.5) == 1);
    CHECK(rope_angles(128, 0.5) == 32);
  }
}

}  // namespace
}  // namespace attnsim::mamba3
