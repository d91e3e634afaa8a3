// attnsim_bench's cases: each mixer's fastest reference form (see cases.h); the driver, GEMM
// peaks and memory readings are in main.cpp, peak.cpp and memory.cpp.
#include <random>

#include "cases.h"
#include "mixers/delta_rule/gated_deltanet_reference.h"
#include "mixers/delta_rule/kda_reference.h"
#include "mixers/diff_attn/reference.h"
#include "mixers/dsa/reference.h"
#include "mixers/gated_attn/reference.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba2/reference.h"
#include "mixers/mamba3/reference.h"
#include "mixers/mla/reference.h"
#include "mixers/mlstm/reference.h"
#include "mixers/rg_lru/reference.h"
#include "mixers/rwkv7/reference.h"
#include "mixers/short_conv/reference.h"
#include "mixers/softmax_attn/reference.h"

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

}  // namespace

std::vector<Case> cases(Precision precision) {
  const std::int64_t H = kHeads, D = kDim;
  std::vector<Case> all;
  all.push_back({"softmax_attn", "MHA, blocked (query_block 128)", [=](std::int64_t T) {
                   softmax_attn::Options options;
                   options.precision = precision;
                   options.query_block = 128;
                   const softmax_attn::Inputs in{random_tensor({1, T, H, D}, 1),
                                                 random_tensor({1, T, H, D}, 2),
                                                 random_tensor({1, T, H, D}, 3),
                                                 {},
                                                 {}};
                   return Kernel([=] { return softmax_attn::run(in, options).counts; });
                 }});
  all.push_back({"gated_attn", "Hkv 4, blocked (query_block 128)", [=](std::int64_t T) {
                   gated_attn::Options options;
                   options.precision = precision;
                   options.query_block = 128;
                   const gated_attn::Inputs in{random_tensor({1, T, H, 2 * D}, 1),
                                               random_tensor({1, T, 4, D}, 2),
                                               random_tensor({1, T, 4, D}, 3),
                                               random_tensor({D}, 4, -0.1, 0.1),
                                               random_tensor({D}, 5, -0.1, 0.1),
                                               {},
                                               {}};
                   return Kernel([=] { return gated_attn::run(in, options).counts; });
                 }});
  all.push_back({"mla", "naive (dn 128, dr 64, dv 128, dc 512)", [=](std::int64_t T) {
                   mla::Options options;
                   options.precision = precision;
                   options.form = mla::Form::naive;
                   options.query_block = 128;
                   const mla::Inputs in{random_tensor({1, T, H, D}, 1),
                                        random_tensor({1, T, H, 64}, 2),
                                        random_tensor({1, T, 512}, 3),
                                        random_tensor({1, T, 64}, 4),
                                        random_tensor({H, D, 512}, 5, -0.05, 0.05),
                                        random_tensor({H, D, 512}, 6, -0.05, 0.05),
                                        {},
                                        {}};
                   return Kernel([=] { return mla::run(in, options).counts; });
                 }});
  all.push_back({"dsa", "indexer (HI 16, dI 128) + masked MHA, topk 2048", [=](std::int64_t T) {
                   dsa::IndexerOptions index;
                   index.topk = 2048;
                   index.rope_dim = 64;
                   index.query_block = 128;
                   softmax_attn::Options options;
                   options.precision = precision;
                   options.query_block = 128;
                   const dsa::IndexerInputs indexer{random_tensor({1, T, H, D}, 7),
                                                    random_tensor({1, T, D}, 8),
                                                    random_tensor({1, T, H}, 9),
                                                    {},
                                                    {}};
                   const softmax_attn::Inputs in{random_tensor({1, T, H, D}, 1),
                                                 random_tensor({1, T, H, D}, 2),
                                                 random_tensor({1, T, H, D}, 3),
                                                 {},
                                                 {}};
                   return Kernel(
                       [=] { return dsa::run_on_attention(indexer, index, in, options).counts; });
                 }});
  const auto delta_rule = [=](std::int64_t T, bool per_channel) {
    mixers::DeltaRuleOptions options;
    options.precision = precision;
    options.chunk_size = 64;
    const std::vector<std::int64_t> gate =
        per_channel ? std::vector<std::int64_t>{1, T, H, D} : std::vector<std::int64_t>{1, T, H};
    const mixers::DeltaRuleInputs in{
        random_tensor({1, T, H, D}, 1),        random_tensor({1, T, H, D}, 2),
        random_tensor({1, T, H, D}, 3),        random_tensor(gate, 4, -0.5, 0.0),
        random_tensor({1, T, H}, 5, 0.0, 1.0), Tensor()};
    const auto kind = per_channel ? mixers::GateKind::per_channel : mixers::GateKind::scalar;
    return Kernel([=] { return mixers::run_delta_rule(in, options, kind).counts; });
  };
  all.push_back(
      {"gated_deltanet", "chunked, C 64", [=](std::int64_t T) { return delta_rule(T, false); }});
  all.push_back({"kda", "chunked, C 64", [=](std::int64_t T) { return delta_rule(T, true); }});
  all.push_back({"lightning", "chunked, C 64", [=](std::int64_t T) {
                   lightning::Options options;
                   options.precision = precision;
                   options.chunk_size = 64;
                   Tensor g({H});
                   g.data = lightning::minimax_slopes(H, 0, 8);
                   const lightning::Inputs in{random_tensor({1, T, H, D}, 1),
                                              random_tensor({1, T, H, D}, 2),
                                              random_tensor({1, T, H, D}, 3), g, Tensor()};
                   return Kernel([=] { return lightning::run(in, options).counts; });
                 }});
  all.push_back({"mamba2_ssd", "chunked, C 64 (P 128, N 128, G 1)", [=](std::int64_t T) {
                   mamba2::Options options;
                   options.precision = precision;
                   options.chunk_size = 64;
                   const mamba2::Inputs in{
                       random_tensor({1, T, H, D}, 1), random_tensor({1, T, H}, 2, -3, 0),
                       random_tensor({H}, 3, -1, 1),   random_tensor({H}, 4, -2, -0.5),
                       random_tensor({1, T, 1, D}, 5), random_tensor({1, T, 1, D}, 6),
                       random_tensor({H}, 7),          Tensor()};
                   return Kernel([=] { return mamba2::run(in, options).counts; });
                 }});
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
  return all;
}

}  // namespace attnsim::bench
