// attnsim_bench's cases: each mixer's fastest reference form (see cases.h); the driver, GEMM
// peaks and memory readings are in main.cpp, peak.cpp and memory.cpp.
#include <fmt/format.h>

#include <memory>
#include <random>

#include "cases.h"
#include "mixers/diff_attn/reference.h"
#include "mixers/mamba3/reference.h"
#include "mixers/mixer.h"
#include "mixers/mlstm/reference.h"
#include "mixers/rg_lru/reference.h"
#include "mixers/rwkv7/reference.h"
#include "mixers/short_conv/reference.h"

namespace attnsim::bench {
namespace {

Tensor random_tensor(std::vector<std::int64_t> shape, std::uint64_t seed, double low = -1.0,
                     double high = 1.0) {
  Tensor t(std::move(shape));
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> uniform(low, high);
  for (double& value : t.data) value = uniform(engine);
  return t;
}

// A kind's facet at its benchmark instance: one prefill of T tokens in its benchmark form
// (query blocks of 128), on a fresh session each run.
Case reference_case(const MixerKind& kind, Precision precision) {
  const reference::Facet& facet = *kind.reference;
  const std::shared_ptr<const Mixer> mixer = parse_mixer(std::string(facet.bench_instance));
  return {
      std::string(kind.kind), fmt::format("{}, {}", facet.bench_form, mixer->describe()),
      [=, &facet](std::int64_t T) {
        reference::Binding bound = *mixer->reference_binding();
        bound.set("B", std::int64_t{1});
        bound.set("chunk_size", std::int64_t{64});
        for (const char* axis : {"T", "Tq", "Tk"}) bound.set(axis, T);
        std::mt19937_64 rng(1);
        const reference::Tensors inputs = random_inputs(
            facet.signature(bound), bound, {reference::Feed::step, reference::Feed::layer}, rng);
        const reference::SessionOptions options{std::string(facet.bench_form), precision, 128,
                                                false, false};
        return Kernel([=, &facet] { return facet.open(bound, options)->prefill(inputs).counts; });
      }};
}

}  // namespace

std::vector<Case> cases(Precision precision) {
  std::vector<Case> all;
  const std::int64_t H = kHeads, D = kDim;
  all.push_back({"short_conv", "sliding window, D 2048, L 3 (LFM2-1.2B)", [=](std::int64_t T) {
                   short_conv::Options options;
                   options.precision = precision;
                   const short_conv::Inputs in{random_tensor({1, T, H * D}, 1),
                                               random_tensor({1, T, H * D}, 2),
                                               random_tensor({1, T, H * D}, 3),
                                               random_tensor({H * D, 3}, 4),
                                               Tensor(),
                                               Tensor()};
                   return Kernel([=] { return short_conv::run(in, options).counts; });
                 }});
  all.push_back({"rg_lru", "chunked, C 64, W 2048 in 16 gate blocks of 128", [=](std::int64_t T) {
                   rg_lru::Options options;
                   options.precision = precision;
                   options.form = rg_lru::Form::chunked;
                   options.chunk_size = 64;
                   const rg_lru::Inputs in{
                       random_tensor({1, T, H * D}, 1),        IndexTensor(),
                       random_tensor({H, D, D}, 2, -0.1, 0.1), random_tensor({H, D}, 3),
                       random_tensor({H, D, D}, 4, -0.1, 0.1), random_tensor({H, D}, 5),
                       random_tensor({H * D}, 6, -1, 3),       Tensor()};
                   return Kernel([=] { return rg_lru::run(in, options).counts; });
                 }});
  all.push_back({"rwkv7", "chunked, C 64 (N 128)", [=](std::int64_t T) {
                   rwkv7::Options options;
                   options.precision = precision;
                   options.chunk_size = 64;
                   rwkv7::Inputs in{random_tensor({1, T, H, D}, 1),
                                    random_tensor({1, T, H, D}, 2, -0.6, -0.01),
                                    random_tensor({1, T, H, D}, 3),
                                    random_tensor({1, T, H, D}, 4),
                                    {},
                                    {},
                                    Tensor()};
                   rwkv7::set_a_b_from_kk_iclr(in, random_tensor({1, T, H, D}, 5, -0.1, 0.1),
                                               random_tensor({1, T, H, D}, 6, 0, 1));
                   return Kernel([=] { return rwkv7::run(in, options).counts; });
                 }});
  all.push_back({"mlstm", "chunkwise, C 64 (DK 128, DV 128)", [=](std::int64_t T) {
                   mlstm::Options options;
                   options.precision = precision;
                   options.chunk_size = 64;
                   const mlstm::Inputs in{random_tensor({1, T, H, D}, 1),
                                          random_tensor({1, T, H, D}, 2),
                                          random_tensor({1, T, H, D}, 3),
                                          random_tensor({1, T, H}, 4, -3, 3),
                                          random_tensor({1, T, H}, 5, 0, 6),
                                          {},
                                          {},
                                          {}};
                   return Kernel([=] { return mlstm::run(in, options).counts; });
                 }});
  all.push_back(
      {"mamba3", "MIMO R 4, chunked, C 16 (P 128, N 128, G 1, S 32)", [=](std::int64_t T) {
         mamba3::Options options;
         options.precision = precision;
         options.chunk_size = 16;  // mamba_ssm's 64 / R
         options.pairing = mamba3::RopePairing::half;
         mamba3::Inputs in;
         in.q = random_tensor({1, T, 4, 1, D}, 1);
         in.k = random_tensor({1, T, 4, 1, D}, 2);
         in.v = random_tensor({1, T, H, D}, 3);
         in.dt = random_tensor({1, T, H}, 4, 0.01, 0.2);
         in.adt = random_tensor({1, T, H}, 5, -1, -0.01);
         in.trap = random_tensor({1, T, H}, 6);
         in.angles = random_tensor({1, T, H, 32}, 7);
         in.q_bias = random_tensor({H, 4, D}, 8);
         in.k_bias = random_tensor({H, 4, D}, 9);
         in.z = random_tensor({1, T, H, D}, 10);
         for (Tensor* w : {&in.mimo_v, &in.mimo_z, &in.mimo_o}) *w = random_tensor({H, 4, D}, 11);
         return Kernel([=] { return mamba3::run(in, options).counts; });
       }});
  all.push_back({"diff_attn", "Hkv 16, two-pass (query_block 128)", [=](std::int64_t T) {
                   diff_attn::Options options;
                   options.precision = precision;
                   options.query_block = 128;
                   const diff_attn::Inputs in{random_tensor({1, T, H, D}, 1),
                                              random_tensor({1, T, H, D}, 2),
                                              random_tensor({1, T, H, D}, 3),
                                              random_tensor({D}, 4, -0.1, 0.1),
                                              random_tensor({D}, 5, -0.1, 0.1),
                                              random_tensor({D}, 6, -0.1, 0.1),
                                              random_tensor({D}, 7, -0.1, 0.1),
                                              random_tensor({2 * D}, 8),
                                              {},
                                              {}};
                   return Kernel([=] { return diff_attn::run(in, options).counts; });
                 }});
  for (const MixerKind& kind : mixer_kinds())
    if (kind.reference != nullptr) all.push_back(reference_case(kind, precision));
  return all;
}

}  // namespace attnsim::bench
