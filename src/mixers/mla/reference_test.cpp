// Tests of the MLA reference: the worked example (both forms and the RoPE intermediates), naive
// equals absorbed for odd sizes, YaRN scale and decode, prefill + decode, and measured vs
// closed-form FLOPs (with the spec's V3 decode figure).
#include "mixers/mla/reference.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/npy.h"
#include "mixers/common/test_util.h"

namespace attnsim::mla {
namespace {

using testing::random_tensor;

Inputs random_inputs(std::int64_t B, std::int64_t Tq, std::int64_t Tk, const Shapes& s,
                     std::uint64_t seed) {
  return {random_tensor({B, Tq, s.H, s.dn}, seed),
          random_tensor({B, Tq, s.H, s.dr}, seed + 1),
          random_tensor({B, Tk, s.dc}, seed + 2),
          random_tensor({B, Tk, s.dr}, seed + 3),
          random_tensor({s.H, s.dn, s.dc}, seed + 4, -0.3, 0.3),
          random_tensor({s.H, s.dv, s.dc}, seed + 5, -0.3, 0.3),
          {},
          {}};
}

Options options_for(Form form, std::int64_t query_block = 64) {
  Options options;
  options.form = form;
  options.query_block = query_block;
  return options;
}

TEST_CASE("mla::run") {
  SUBCASE("worked example B2_T7_h4, both forms") {
    const std::string dir = testing::example_dir("mla", "B2_T7_h4");
    const Inputs in{
        read_npy_float(dir + "q_nope.npy"),         read_npy_float(dir + "q_pe.npy"),
        read_npy_float(dir + "c_kv.npy"),           read_npy_float(dir + "k_pe.npy"),
        read_npy_float(dir + "w_uk.npy"),           read_npy_float(dir + "w_uv.npy"),
        read_npy_int(dir + "q_positions.npy").data, read_npy_int(dir + "k_positions.npy").data};
    for (const Form form : {Form::naive, Form::absorbed}) {
      const Result r = run(in, options_for(form));  // default scale (16 + 8)^−1/2 as the example
      CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
      CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o_absorbed.npy")) < 1e-9);
      CHECK(max_abs_diff(r.lse, read_npy_float(dir + "expected_lse.npy")) < 1e-9);
      CHECK(max_abs_diff(r.q_pe_rot, read_npy_float(dir + "expected_q_pe_rot.npy")) < 1e-9);
      CHECK(max_abs_diff(r.k_pe_rot, read_npy_float(dir + "expected_k_pe_rot.npy")) < 1e-9);
    }
    const auto [w_uk, w_uv] = split_wkv_b(read_npy_float(dir + "w_kv_b.npy"), 4, 16, 16);
    CHECK(w_uk.data == in.w_uk.data);
    CHECK(w_uv.data == in.w_uv.data);
  }
  SUBCASE("naive equals absorbed: odd sizes, YaRN scale, Tq < Tk, no-RoPE variant") {
    const Shapes s{3, 7, 6, 5, 11};
    const Inputs in = random_inputs(2, 9, 23, s, 10);
    for (const bool use_rope : {true, false}) {
      auto naive = options_for(Form::naive, 4);
      naive.mscale = yarn_mscale(40.0, 1.0);
      naive.use_rope = use_rope;
      auto absorbed = naive;
      absorbed.form = Form::absorbed;
      const Result a = run(in, naive), b = run(in, absorbed);
      CHECK(max_abs_diff(a.o, b.o) < 1e-10);
      CHECK(max_abs_diff(a.lse, b.lse) < 1e-10);
    }
  }
  SUBCASE("prefill of T − 1 then decode of 1 equals the prefill of T") {
    const Shapes s{2, 4, 4, 3, 6};
    const Inputs full_in = random_inputs(1, 12, 12, s, 20);
    const Result full = run(full_in, options_for(Form::naive));
    Inputs decode = full_in;
    decode.q_nope = testing::token_slice(full_in.q_nope, 11, 12);
    decode.q_pe = testing::token_slice(full_in.q_pe, 11, 12);
    const Result r = run(decode, options_for(Form::absorbed));
    CHECK(max_abs_diff(r.o, testing::token_slice(full.o, 11, 12)) < 1e-12);
  }
  SUBCASE("YaRN mscale of DeepSeek-V3 (factor 40): scale × 1.874") {
    CHECK(yarn_mscale(40.0, 1.0) * yarn_mscale(40.0, 1.0) == doctest::Approx(1.874).epsilon(1e-3));
  }
}

TEST_CASE("mla::core_flops_naive, core_flops_absorbed") {
  const Shapes s{3, 7, 6, 5, 11};
  const Inputs in = random_inputs(2, 9, 23, s, 30);
  SUBCASE("both forms match the instrumented kernels exactly") {
    CHECK(run(in, options_for(Form::naive, 4)).counts.flops() ==
          scaled(core_flops_naive(s, 9, 23, 4), 2.0));
    CHECK(run(in, options_for(Form::absorbed, 4)).counts.flops() ==
          scaled(core_flops_absorbed(s, 9, 23, 4), 2.0));
    CHECK(run(in, options_for(Form::absorbed)).cache_elements == 2 * 23 * (11 + 6));
  }
  SUBCASE("DeepSeek-V3 decode at L = 1000 (mixers-spec §2)") {
    // 2·H·dc·(dn+dv) = 2·128·512·256 = 33,554,432 and 2·H·L·(2dc+dr) = 2·128·1000·1088 =
    // 278,528,000.
    const Shapes v3{128, 128, 64, 128, 512};
    CHECK(total_flops(core_flops_absorbed(v3, 1, 1000, 1)) == 33554432.0 + 278528000.0);
    CHECK(kv_cache_elements(v3, 1) == 576);
  }
}

}  // namespace
}  // namespace attnsim::mla
