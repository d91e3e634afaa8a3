// Tests of DeepSeek V4's compressed-attention reference (reference.h): worked examples whose
// expected values were printed by worked_example.py (torch, written from DeepSeek's model.py and
// kernel.py, no attnsim code), the parallel and recurrent forms and prefill + decode against one
// prefill on odd sizes, float32 beside float64, located shape errors, and the kernel's counted
// multiply-adds against the cost model's closed forms (mixer.cpp).
#include "mixers/compressed_attn/reference.h"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "mixers/common/parallel.h"
#include "mixers/common/test_util.h"
#include "mixers/mixer.h"

namespace attnsim::compressed_attn {
namespace {

using testing::random_tensor;
using testing::token_slice;

// sin(a·(i + 1)) over the flattened index i, as worked_example.py's t(shape, a).
Tensor sine(std::vector<std::int64_t> shape, double a) {
  Tensor x(std::move(shape));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(a * static_cast<double>(i + 1));
  return x;
}

struct Case {
  std::int64_t B = 1, T = 9, H = 2, D = 8, rope_dim = 4, W = 3, m = 2;
  bool overlap = true;
  std::int64_t HI = 2, dI = 4, k = 2;
};

Options options_of(const Case& c, Form form = Form::parallel) {
  Options o;
  o.window = c.W > 0 ? std::optional<std::int64_t>(c.W) : std::nullopt;
  o.compress_ratio = c.m, o.overlap = c.overlap, o.topk = c.HI > 0 ? c.k : 0;
  o.rope_dim = c.rope_dim, o.form = form;
  return o;
}

// worked_example.py's inputs (B = 1 there; a larger B continues the same sequence of values).
Layer sine_layer(const Case& c) {
  const std::int64_t coff = c.overlap ? 2 : 1;
  Layer layer{sine({c.H}, 1.7), {}, {}};
  if (c.m > 0) layer.compressor = {sine({c.m, coff * c.D}, 0.9), sine({c.D}, 0.8)};
  if (c.HI > 0) layer.indexer = {sine({c.m, coff * c.dI}, 0.6), sine({c.dI}, 1.4)};
  return layer;
}
StepInputs sine_inputs(const Case& c) {
  const std::int64_t coff = c.overlap ? 2 : 1;
  StepInputs in{
      sine({c.B, c.T, c.H, c.D}, 0.7), sine({c.B, c.T, c.D}, 1.3), {}, {}, {}, {}, {}, {}};
  if (c.m > 0)
    in.comp_kv = sine({c.B, c.T, coff * c.D}, 0.45),
    in.comp_score = sine({c.B, c.T, coff * c.D}, 2.1);
  if (c.HI > 0) {
    in.index_q = sine({c.B, c.T, c.HI, c.dI}, 0.55), in.index_w = sine({c.B, c.T, c.HI}, 1.1);
    in.index_kv = sine({c.B, c.T, coff * c.dI}, 0.35);
    in.index_score = sine({c.B, c.T, coff * c.dI}, 1.9);
  }
  return in;
}

// Seeded uniform inputs of the same shapes.
Layer random_layer(const Case& c, std::uint64_t seed) {
  const std::int64_t coff = c.overlap ? 2 : 1;
  Layer layer{random_tensor({c.H}, seed), {}, {}};
  if (c.m > 0)
    layer.compressor = {random_tensor({c.m, coff * c.D}, seed + 1), random_tensor({c.D}, seed + 2)};
  if (c.HI > 0)
    layer.indexer = {random_tensor({c.m, coff * c.dI}, seed + 3), random_tensor({c.dI}, seed + 4)};
  return layer;
}
StepInputs random_inputs(const Case& c, std::uint64_t seed) {
  const std::int64_t coff = c.overlap ? 2 : 1;
  StepInputs in{random_tensor({c.B, c.T, c.H, c.D}, seed),
                random_tensor({c.B, c.T, c.D}, seed + 1),
                {},
                {},
                {},
                {},
                {},
                {}};
  if (c.m > 0) {
    in.comp_kv = random_tensor({c.B, c.T, coff * c.D}, seed + 2);
    in.comp_score = random_tensor({c.B, c.T, coff * c.D}, seed + 3, -3, 3);
  }
  if (c.HI > 0) {
    in.index_q = random_tensor({c.B, c.T, c.HI, c.dI}, seed + 4);
    in.index_w = random_tensor({c.B, c.T, c.HI}, seed + 5);
    in.index_kv = random_tensor({c.B, c.T, coff * c.dI}, seed + 6);
    in.index_score = random_tensor({c.B, c.T, coff * c.dI}, seed + 7, -3, 3);
  }
  return in;
}

// Tokens [t0, t1) of every step input.
StepInputs tokens(const StepInputs& in, std::int64_t t0, std::int64_t t1) {
  const auto part = [&](const Tensor& x) { return x.empty() ? x : token_slice(x, t0, t1); };
  return {part(in.q),       part(in.kv),      part(in.comp_kv),  part(in.comp_score),
          part(in.index_q), part(in.index_w), part(in.index_kv), part(in.index_score)};
}

void check_values(const double* got, const std::vector<double>& expected, double tol) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(got[i] - expected[i]) <= tol);
  }
}

bool close(const Tensor& a, const Tensor& b, double tol) {
  if (a.shape != b.shape) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(std::abs(a[i] - b[i]) <= tol * (1 + std::abs(b[i])))) return false;
  return true;
}

// worked_example.py, "CSA: T=9 H=2 D=8 rd=4 W=3 m=2 overlap HI=2 dI=4 k=2".
const std::vector<double> kCsaEntries = {
    -0.892476844997182, -1.42203470881036,  -0.580063101843583, 0.00728032555260182,
    0.0183931106142415, -1.03767951439216,  -0.694006840280934, 0.136958000030838,
    0.506422795561412,  0.946963609808803,  0.972595238207902,  -0.101916419466103,
    0.422978738368024,  -0.772377256368921, 0.0706599314210322, -0.0388526990030647,
    0.733692307036911,  0.656587427681991,  0.0656044884110796, 0.0430549370667157,
    0.34763089600722,   -1.63410127549376,  0.657166680978169,  -0.108535767802158,
    -0.614945853395452, -1.41698119609726,  -1.09359836654381,  0.0579925485314394,
    -0.031977321884255, -0.315471079480156, -0.450077979704627, 0.092577143092925};
const std::vector<double> kCsaIndexKeys = {
    -0.501326494203081,  -0.623738343263457,  0.453975433414002, 0.0342180308304447,
    -0.0870050101859167, 0.849486822102929,   0.832362262006538, -0.825686496925385,
    0.0393129996674467,  -0.0140039420862984, 1.64302837282887,  -0.382724489720412,
    0.610838000569881,   -0.772784494487751,  -0.2057223780078,  -0.391356205654979};
const std::vector<std::int64_t> kCsaTopk = {-1, -1, 0, -1, 0, -1, 0, 1, 1,
                                            0,  2,  0, 1,  2, 3,  0, 2, 0};
const std::vector<double> kCsaO8 = {
    0.0803178462198549, 0.0403278803520975,  -0.0441217798047388, -0.0485265446908482,
    -0.462123033366928, -0.0147860175243659, 0.130860447207466,   -0.015157503881313,
    0.197432180490599,  0.161044099723842,   -0.029754470923489,  -0.0614377518853905,
    -0.615509548355382, -0.0320486903649974, 0.23442345978606,    -0.0463979121320437};
const std::vector<double> kCsaLse = {
    1.2625445365257,  0.41585837933311, 1.63469206363009, 1.23525660294234, 2.02989354745436,
    1.72710759528053, 2.08234350685873, 1.71118317705481, 2.03814287166382, 1.79685344427502,
    2.05218042515427, 1.91595180909709, 2.02339751516114, 1.67480999366304, 2.19583126088258,
    1.93401432026745, 2.18612579019631, 1.93736007853322};
// worked_example.py, "HCA: T=9 H=2 D=8 rd=4 W=3 m=4" (no overlap, no indexer).
const std::vector<double> kHcaEntries = {
    -0.153862717730807,  -1.19198633295231,  1.1601198832067,   -0.056689407218584,
    -0.0443021074131862, -0.141601622546261, -0.75897848765115, 0.126051408792236,
    0.668116292619658,   1.25304676739049,   0.369344337671408, -0.016091944752506,
    0.865641172786888,   0.959245515932642,  0.68837666205496,  -0.0946487944126521};
const std::vector<double> kHcaO8 = {
    0.104121696881109, 0.136618137946688,  0.18875393724313,   -0.079336003750006,
    0.182482328577929, -0.14240439862814,  0.0976257385688979, -0.00420829829613808,
    0.192708213586132, 0.258683642550651,  0.271053273173652,  -0.099387301498708,
    0.305388245395682, -0.263601798039091, 0.163437473443502,  -0.0248986755188481};
const std::vector<double> kHcaLse = {
    1.2625445365257,  0.41585837933311, 1.4659888033272,  0.875075166067431, 1.75082224623617,
    1.30728529355914, 1.89489219996044, 1.49091775993334, 1.94675591918148,  1.65653473915409,
    1.96962327059857, 1.71922173899996, 1.99111217778723, 1.66591104960465,  1.94664861042769,
    1.65615397885205, 2.00884508048624, 1.82066962446008};

Case hca_case() {
  Case c;
  c.m = 4, c.overlap = false, c.HI = 0, c.dI = 0, c.k = 0;
  return c;
}

}  // namespace

TEST_CASE("compress: the worked examples' entries") {
  SUBCASE("m = 2 with overlap (the attention's and the indexer's compressor)") {
    const Case c;
    const StepInputs in = sine_inputs(c);
    const Layer layer = sine_layer(c);
    const Tensor entries = compress(in.comp_kv, in.comp_score, layer.compressor, 2, true, 4);
    REQUIRE(entries.shape == std::vector<std::int64_t>{1, 4, 8});
    check_values(entries.data.data(), kCsaEntries, 1e-12);
    const Tensor keys = compress(in.index_kv, in.index_score, layer.indexer, 2, true, 4);
    REQUIRE(keys.shape == std::vector<std::int64_t>{1, 4, 4});
    check_values(keys.data.data(), kCsaIndexKeys, 1e-12);
  }
  SUBCASE("m = 4 without overlap") {
    const Case c = hca_case();
    const StepInputs in = sine_inputs(c);
    const Tensor entries =
        compress(in.comp_kv, in.comp_score, sine_layer(c).compressor, 4, false, 4);
    REQUIRE(entries.shape == std::vector<std::int64_t>{1, 2, 8});
    check_values(entries.data.data(), kHcaEntries, 1e-12);
  }
}

TEST_CASE("Kernel: the worked examples, in both forms and as prefill + decode") {
  for (const bool csa : {true, false}) {
    CAPTURE(csa);
    const Case c = csa ? Case{} : hca_case();
    for (const Form form : {Form::parallel, Form::recurrent}) {
      for (const std::int64_t prefix : {std::int64_t{9}, std::int64_t{4}, std::int64_t{1}}) {
        CAPTURE(prefix);
        Kernel kernel(options_of(c, form), sine_layer(c));
        const StepInputs all = sine_inputs(c);
        std::vector<StepResult> steps{kernel.step(tokens(all, 0, prefix))};
        for (std::int64_t t = prefix; t < c.T; ++t)
          steps.push_back(kernel.step(tokens(all, t, t + 1)));
        // Token 8 is the last step's (or the one prefill's last) row.
        const StepResult& last = steps.back();
        const std::int64_t row = last.o.dim(1) - 1;
        check_values(last.o.data.data() + row * c.H * c.D, csa ? kCsaO8 : kHcaO8, 1e-12);
        std::vector<double> lse;
        std::vector<std::int64_t> topk;
        for (const StepResult& s : steps) {
          lse.insert(lse.end(), s.lse.data.begin(), s.lse.data.end());
          topk.insert(topk.end(), s.topk_entries.data.begin(), s.topk_entries.data.end());
        }
        check_values(lse.data(), csa ? kCsaLse : kHcaLse, 1e-12);
        if (csa) CHECK(topk == kCsaTopk);
        const KeptSizes kept = kernel.kept();
        CHECK(kept.window == 3 * 8);               // min(9, W = 3) rows of D
        CHECK(kept.entries == (csa ? 4 : 2) * 8);  // ⌊9/m⌋ entries
        // kv_state + score_state: 2 · (coff·m rows) · (coff·D): 2·4·16 with overlap, 2·4·8.
        CHECK(kept.state == (csa ? 128 : 64));
        CHECK(kept.index_keys == (csa ? 4 * 4 : 0));
        CHECK(kept.index_state == (csa ? 2 * 4 * 8 : 0));
      }
    }
  }
}

TEST_CASE("Kernel: forms, prefill + decode and float32 agree on odd sizes") {
  Case csa;
  csa.B = 2, csa.T = 29, csa.H = 3, csa.D = 10, csa.rope_dim = 4, csa.W = 5, csa.m = 3;
  csa.HI = 2, csa.dI = 6, csa.k = 3;
  // A window wider than the entries chosen: neighbouring queries share one masked product.
  Case csa_wide = csa;
  csa_wide.W = 20;
  Case hca = csa;
  hca.m = 4, hca.overlap = false, hca.HI = 0, hca.dI = 0, hca.k = 0;
  Case swa = hca;
  swa.m = 0;
  Case dense = swa;
  dense.W = 0;
  for (const Case& c : {csa, csa_wide, hca, swa, dense}) {
    CAPTURE(c.m);
    CAPTURE(c.W);
    const Layer layer = random_layer(c, 11);
    const StepInputs all = random_inputs(c, 21);
    Kernel whole(options_of(c), layer);
    const StepResult expected = whole.step(all);
    {
      INFO("recurrent form");
      Kernel kernel(options_of(c, Form::recurrent), layer);
      const StepResult r = kernel.step(all);
      CHECK(close(r.o, expected.o, 1e-10));
      CHECK(close(r.lse, expected.lse, 1e-10));
      CHECK(r.topk_entries.data == expected.topk_entries.data);
    }
    {
      INFO("a prefill of 7, then steps of 1, 2 and 3 tokens");
      Kernel kernel(options_of(c), layer);
      std::int64_t t0 = 0;
      for (const std::int64_t t1 : {7, 8, 10, 13, 14, 17, 20, 21, 24, 25, 27, 29}) {
        const StepResult r = kernel.step(tokens(all, t0, t1));
        CHECK(close(r.o, token_slice(expected.o, t0, t1), 1e-10));
        CHECK(close(r.lse, token_slice(expected.lse, t0, t1), 1e-10));
        t0 = t1;
      }
    }
    {
      INFO("float32 within its precision with a float64 indexer: float64's entries, in order");
      Options o = options_of(c);
      o.precision = Precision::float32;
      if (o.topk > 0) o.indexer_precision = Precision::float64;
      Kernel kernel(o, layer);
      const StepResult r = kernel.step(all);
      CHECK(close(r.o, expected.o, 1e-4));
      CHECK(r.topk_entries.data == expected.topk_entries.data);
    }
    if (c.k > 0) {
      INFO("float64 with a float32 indexer selects what a float32 run does");
      Options narrow = options_of(c), mixed = options_of(c);
      narrow.precision = Precision::float32;
      mixed.indexer_precision = Precision::float32;
      Kernel a(narrow, layer), b(mixed, layer);
      const StepResult r = b.step(all);
      CHECK(r.topk_entries.data == a.step(all).topk_entries.data);
    }
  }
  SUBCASE("top-k ≥ every entry attends to all of them, as without an indexer") {
    Case wide = csa;
    wide.k = 100;
    Case none = wide;
    none.HI = 0, none.dI = 0, none.k = 0;
    const Layer layer = random_layer(wide, 5);
    StepInputs in = random_inputs(wide, 6);
    Kernel with(options_of(wide), layer), without(options_of(none), layer);
    const StepResult a = with.step(in);
    in.index_q = in.index_w = in.index_kv = in.index_score = Tensor();
    CHECK(close(a.o, without.step(in).o, 1e-10));
  }
}

TEST_CASE("Kernel: a float32 indexer selects float64's entries where the gap is ≥ 1e-4") {
  // mixers-spec §3 "Top-k ties": test data keep the k-th/(k+1)-th gap ≥ 1e-4. The index scores
  // are recomputed here from compress()'s index keys (no RoPE: rope_dim 0), by the formula.
  // Positive head weights and 8 heads make exact ties (I = 0: every logit ≤ 0) rare.
  Case c;
  c.B = 2, c.T = 41, c.H = 2, c.D = 8, c.rope_dim = 0, c.W = 4, c.m = 2;
  c.HI = 8, c.dI = 6, c.k = 4;
  const Layer layer = random_layer(c, 61);
  StepInputs in = random_inputs(c, 62);
  in.index_w = random_tensor({c.B, c.T, c.HI}, 63, 0.5, 1.5);
  const Tensor keys = compress(in.index_kv, in.index_score, layer.indexer, c.m, c.overlap, 0);
  const std::int64_t n_entries = keys.dim(1);
  const double scale = 1 / std::sqrt(static_cast<double>(c.dI * c.HI));
  double smallest_gap = std::numeric_limits<double>::infinity();
  for (std::int64_t b = 0; b < c.B; ++b)
    for (std::int64_t p = 0; p < c.T; ++p) {
      const std::int64_t n = (p + 1) / c.m;
      if (n <= c.k) continue;
      std::vector<double> scores(static_cast<std::size_t>(n), 0.0);
      for (std::int64_t e = 0; e < n; ++e)
        for (std::int64_t h = 0; h < c.HI; ++h) {
          double logit = 0;
          for (std::int64_t i = 0; i < c.dI; ++i)
            logit += in.index_q[static_cast<std::size_t>(((b * c.T + p) * c.HI + h) * c.dI + i)] *
                     keys[static_cast<std::size_t>((b * n_entries + e) * c.dI + i)];
          scores[static_cast<std::size_t>(e)] +=
              std::max(logit, 0.0) *
              in.index_w[static_cast<std::size_t>((b * c.T + p) * c.HI + h)] * scale;
        }
      std::sort(scores.begin(), scores.end(), std::greater<>());
      smallest_gap = std::min(smallest_gap, scores[static_cast<std::size_t>(c.k - 1)] -
                                                scores[static_cast<std::size_t>(c.k)]);
    }
  REQUIRE(smallest_gap >= 1e-4);
  Kernel wide(options_of(c), layer);
  const StepResult expected = wide.step(in);
  Options o = options_of(c);
  o.precision = Precision::float32;
  Kernel narrow(o, layer);
  const StepResult r = narrow.step(in);
  CHECK(close(r.o, expected.o, 1e-4));
  CHECK(close(r.lse, expected.lse, 1e-4));
  const auto sets = [&](const IndexTensor& entries) {
    std::vector<std::set<std::int64_t>> rows;
    for (std::size_t i = 0; i < entries.size(); i += static_cast<std::size_t>(c.k))
      rows.emplace_back(entries.data.begin() + static_cast<std::ptrdiff_t>(i),
                        entries.data.begin() + static_cast<std::ptrdiff_t>(i + c.k));
    return rows;
  };
  CHECK(sets(r.topk_entries) == sets(expected.topk_entries));
}

TEST_CASE("Kernel: index-score ties go to the lower entry, in float64 and float32") {
  // Every index score equal: head weights 0 make I = +0; zero index queries with weights −1
  // make every term relu(0)·(−1) = −0, so I = −0. Either way query p's top-k is its first
  // min(k, ⌊(p + 1)/m⌋) entries in entry order: 0, 1, 2, …
  Case c;
  c.T = 40, c.m = 2, c.k = 5, c.W = 4;
  for (const auto& [negative_zero, precision] :
       {std::pair{false, Precision::float64}, std::pair{true, Precision::float64},
        std::pair{false, Precision::float32}, std::pair{true, Precision::float32}}) {
    CAPTURE(negative_zero);
    CAPTURE(precision == Precision::float32);
    StepInputs in = random_inputs(c, 51);
    for (std::size_t i = 0; i < in.index_w.size(); ++i) in.index_w[i] = negative_zero ? -1.0 : 0.0;
    if (negative_zero)
      for (std::size_t i = 0; i < in.index_q.size(); ++i) in.index_q[i] = 0.0;
    Options o = options_of(c);
    o.precision = precision;
    Kernel kernel(o, random_layer(c, 52));
    const StepResult r = kernel.step(in);
    for (std::int64_t p = 0; p < c.T; ++p) {
      CAPTURE(p);
      const std::int64_t n = std::min<std::int64_t>((p + 1) / c.m, c.k);
      for (std::int64_t j = 0; j < c.k; ++j)
        CHECK(r.topk_entries[static_cast<std::size_t>(p * c.k + j)] == (j < n ? j : -1));
    }
  }
}

TEST_CASE("Kernel: the threaded run equals the one-thread run, bit for bit") {
  // Tasks are (sequence, query block) and blocks of compressor groups, fixed by the sizes alone,
  // each computed by one thread in one order: 2 sequences × 150 queries, 75 groups of m = 2.
  Case csa;
  csa.B = 2, csa.T = 150, csa.H = 3, csa.D = 10, csa.rope_dim = 4, csa.W = 7, csa.m = 2;
  csa.HI = 2, csa.dI = 6, csa.k = 5;
  Case hca = csa;
  hca.m = 4, hca.overlap = false, hca.HI = 0, hca.dI = 0, hca.k = 0;
  const int saved = mixers::kernel_threads();
  for (const Case& c : {csa, hca}) {
    CAPTURE(c.m);
    // float64; float32 (its indexer too); float32 with a float64 indexer.
    for (const auto& [precision, indexer] : {std::pair{Precision::float64, Precision::float64},
                                             std::pair{Precision::float32, Precision::float32},
                                             std::pair{Precision::float32, Precision::float64}}) {
      CAPTURE(precision == Precision::float32);
      CAPTURE(indexer == Precision::float32);
      Options o = options_of(c);
      o.precision = precision;
      if (c.k > 0) o.indexer_precision = indexer;
      const Layer layer = random_layer(c, 31);
      const StepInputs all = random_inputs(c, 41);
      const auto run = [&](int threads) {
        mixers::set_kernel_threads(threads);
        Kernel kernel(o, layer);
        std::vector<StepResult> steps{kernel.step(tokens(all, 0, 100))};
        steps.push_back(kernel.step(tokens(all, 100, 150)));
        return steps;
      };
      const std::vector<StepResult> serial = run(1);
      for (const int threads : {2, 3}) {
        CAPTURE(threads);
        const std::vector<StepResult> threaded = run(threads);
        for (std::size_t s = 0; s < serial.size(); ++s) {
          CHECK(threaded[s].o.data == serial[s].o.data);
          CHECK(threaded[s].lse.data == serial[s].lse.data);
          CHECK(threaded[s].topk_entries.data == serial[s].topk_entries.data);
          CHECK(threaded[s].counts.macs == serial[s].counts.macs);
        }
      }
    }
  }
  mixers::set_kernel_threads(saved);
}

TEST_CASE("Kernel: shapes and options are checked with located errors") {
  const Case c;
  const auto message = [&](auto&& run) -> std::string {
    try {
      run();
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  };
  SUBCASE("a step input of the wrong shape names it and its axes") {
    StepInputs in = sine_inputs(c);
    in.kv = sine({1, 9, 7}, 1.0);
    Kernel kernel(options_of(c), sine_layer(c));
    const std::string text = message([&] { kernel.step(in); });
    CHECK(text.find("kv") != std::string::npos);
    CHECK(text.find("B,T,D") != std::string::npos);
  }
  SUBCASE("compressor rows must be 2·D wide with overlap") {
    StepInputs in = sine_inputs(c);
    in.comp_score = sine({1, 9, 8}, 1.0);
    Kernel kernel(options_of(c), sine_layer(c));
    CHECK(message([&] { kernel.step(in); }).find("comp_score") != std::string::npos);
  }
  SUBCASE("a layer tensor of the wrong shape") {
    Layer layer = sine_layer(c);
    layer.indexer.ape = sine({3, 8}, 1.0);
    Kernel kernel(options_of(c), layer);
    CHECK(message([&] { kernel.step(sine_inputs(c)); }).find("index_ape") != std::string::npos);
  }
  SUBCASE("a decode step of another batch or head count") {
    Kernel kernel(options_of(c), sine_layer(c));
    kernel.step(sine_inputs(c));
    Case other = c;
    other.B = 2, other.T = 1;
    CHECK(message([&] { kernel.step(sine_inputs(other)); }).find("B,T,H,D") != std::string::npos);
  }
  SUBCASE("options") {
    Options o = options_of(c);
    o.rope_dim = 3;
    CHECK(message([&] { Kernel k(o, sine_layer(c)); }).find("rope_dim") != std::string::npos);
    o = options_of(c);
    o.compress_ratio = 0;
    CHECK(message([&] { Kernel k(o, sine_layer(c)); }).find("overlap") != std::string::npos);
    o.overlap = false;
    CHECK(message([&] { Kernel k(o, sine_layer(c)); }).find("topk") != std::string::npos);
    o = options_of(hca_case());
    o.indexer_precision = Precision::float64;  // HCA runs no indexer
    CHECK(message([&] { Kernel k(o, sine_layer(hca_case())); }).find("indexer_dtype") !=
          std::string::npos);
    o = options_of(c);
    o.rope_dim = 10;
    Kernel kernel(o, sine_layer(c));
    CHECK(message([&] { kernel.step(sine_inputs(c)); }).find("rope_dim") != std::string::npos);
  }
}

TEST_CASE("compressed_attn facet: counted multiply-adds = the cost model's formulas") {
  // CSA: entries reach top-k = 3 at t = 12, the window (8) fills at t = 8; HCA: 16-token groups.
  const char* instances[] = {
      "{kind: compressed_attn, n_heads: 3, head_dim: 10, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 1, window: 8, compress_ratio: 4, compressor_overlap: true, indexer_heads: 2, "
      "indexer_head_dim: 6, topk: 3, rope_head_dim: 4}",
      "{kind: compressed_attn, n_heads: 3, head_dim: 10, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 1, window: 8, compress_ratio: 16}",
      "{kind: compressed_attn, n_heads: 3, head_dim: 10, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 1}"};
  const FlopContext context{32, CausalConvention::half, LinearAlgorithm::chunked, 64};
  for (const char* yaml : instances) {
    CAPTURE(yaml);
    const auto mixer = parse_mixer(yaml);
    const reference::Facet& facet = *find_mixer_kind("compressed_attn")->reference;
    reference::Binding bound = *mixer->reference_binding();
    bound.set("B", std::int64_t{1});
    bound.set("T", std::int64_t{61});
    reference::SessionOptions options;
    options.form = "parallel";
    const auto session = facet.open(bound, options);
    std::mt19937_64 rng(3);
    using reference::Feed;
    const auto compare = [&](const FlopCounts& measured, const FlopCounts& predicted) {
      for (const auto& [operation, value] : measured) {
        CAPTURE(operation);
        CHECK(value == predicted.at(operation));
      }
      // Everything the cost model counts beyond the kernel is a projection of x.
      for (const auto& [operation, value] : predicted)
        if (!measured.count(operation))
          CHECK(
              (operation == "projections" || operation == "compressor" || operation == "indexer"));
    };
    const auto prefill = session->prefill(
        reference::random_inputs(facet.signature(bound), bound, {Feed::step, Feed::layer}, rng));
    compare(prefill.counts.flops(), mixer->prefill_flops(context, 61));
    bound.set("T", std::int64_t{1});
    for (std::uint64_t L = 62; L <= 66; ++L) {
      const auto step = session->decode(
          reference::random_inputs(facet.signature(bound), bound, {Feed::step}, rng));
      compare(step.counts.flops(), mixer->decode_flops(context, L));
    }
  }
}

}  // namespace attnsim::compressed_attn

namespace attnsim::compressed_attn {

TEST_CASE("compressed_attn reference_binding: sizes and the RoPE tail's default") {
  // DeepSeek-V4-Flash's CSA layer: 64 heads of 512, indexer 64 × 128, rope tail 64 (its
  // qk_rope_head_dim); C = 2·512 and CI = 2·128 with overlap.
  const auto flash = parse_mixer(
      "{kind: compressed_attn, n_heads: 64, head_dim: 512, q_lora_rank: 1024, o_lora_rank: 1024, "
      "o_groups: 8, window: 128, compress_ratio: 4, compressor_overlap: true, indexer_heads: 64, "
      "indexer_head_dim: 128, topk: 512}");
  const reference::Binding bound = *flash->reference_binding();
  CHECK(bound.size("rope_dim") == 64);
  CHECK(bound.size("C") == 1024);
  CHECK(bound.size("CI") == 256);
  CHECK(bound.size("m") == 4);
  CHECK(bound.size("window") == 128);
  CHECK(bound.size("topk") == 512);
  // A narrower indexer head (6) bounds the default tail; an HCA layer has no indexer sizes.
  const auto narrow = parse_mixer(
      "{kind: compressed_attn, n_heads: 3, head_dim: 10, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 1, window: 8, compress_ratio: 4, compressor_overlap: true, indexer_heads: 2, "
      "indexer_head_dim: 6, topk: 3}");
  CHECK(narrow->reference_binding()->size("rope_dim") == 6);
  const auto hca = parse_mixer(
      "{kind: compressed_attn, n_heads: 3, head_dim: 10, q_lora_rank: 8, o_lora_rank: 6, "
      "o_groups: 1, window: 8, compress_ratio: 128}");
  const reference::Binding hca_bound = *hca->reference_binding();
  CHECK(hca_bound.size("rope_dim") == 10);
  CHECK(hca_bound.size("C") == 10);
  CHECK(!hca_bound.has("topk"));
  CHECK(!hca_bound.flag_or("overlap", true));
}

}  // namespace attnsim::compressed_attn
