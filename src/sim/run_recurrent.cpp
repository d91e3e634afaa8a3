// Executions of the recurrent kinds of mixers-spec-recurrent (short_conv, rg_lru, rwkv7, mlstm):
// a prefill of plan.tokens tokens from an empty state, then single-token decode steps from the
// previous final state, with random inputs and weights.
#include <cmath>

#include "config/reader.h"
#include "mixers/mlstm/reference.h"
#include "mixers/rg_lru/reference.h"
#include "mixers/rwkv7/reference.h"
#include "mixers/short_conv/reference.h"
#include "sim/kinds.h"

namespace attnsim::sim {

namespace {

std::int64_t count(config::MapReader& reader, std::string_view key) {
  return static_cast<std::int64_t>(reader.required_positive(key));
}

// A prefill of plan.tokens tokens, then plan.decode_steps single tokens: step(T, prefill,
// counts) runs the core once and carries its state to the next call.
template <class Step>
LayerRun prefill_then_decode(const RunPlan& plan, Step step) {
  LayerRun run;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    step(prefill ? plan.tokens : 1, prefill, prefill ? run.prefill : run.decode);
  }
  return run;
}

}  // namespace

// LFM2 short conv: the sliding-window form in prefill, the rolling-state step in decode; B, C
// and x (in_proj's outputs) are drawn at random.
std::optional<LayerRun> run_short_conv(const config::Node& node, const std::string& path,
                                       const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t D = count(reader, "channels"), L = count(reader, "conv_kernel");
  const bool bias = reader.optional_bool("bias", false);
  const Tensor weight = random_normal({D, L}, rng);
  const Tensor conv_bias = bias ? random_normal({D}, rng) : Tensor();
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
    // Braced initialisers run in order, so the random draws do too.
    const short_conv::Inputs inputs{random_normal({1, T, D}, rng),
                                    random_normal({1, T, D}, rng),
                                    random_normal({1, T, D}, rng),
                                    weight,
                                    conv_bias,
                                    state};
    short_conv::Options options;
    options.form = prefill ? short_conv::Form::conv : short_conv::Form::step;
    const auto result = short_conv::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  });
  run.kept.push_back({"conv state", CacheRole::conv_state, static_cast<std::int64_t>(state.size()),
                      std::nullopt, 0});
  return run;
}

// RecurrentGemma recurrent block: the temporal conv1d over W channels (sim::ShortConv), then the
// RG-LRU, chunked in prefill and recurrent in decode; positions count from 0, so the prefill's
// first token starts a document.
std::optional<LayerRun> run_rg_lru(const config::Node& node, const std::string& path,
                                   const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_heads"), bw = count(reader, "block_width");
  const std::int64_t W = H * bw;
  ShortConv conv(W, count(reader, "conv_kernel"), rng);
  const Tensor input_gate_w = random_uniform({H, bw, bw}, -0.2, 0.2, rng);
  const Tensor input_gate_b = random_normal({H, bw}, rng);
  const Tensor a_gate_w = random_uniform({H, bw, bw}, -0.2, 0.2, rng);
  const Tensor a_gate_b = random_normal({H, bw}, rng);
  const Tensor a_param = random_uniform({W}, -1.0, 3.0, rng);
  Tensor state;
  std::int64_t position = 0;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
    rg_lru::Inputs inputs{conv.run(random_normal({1, T, W}, rng), counts),
                          IndexTensor({1, T}),
                          input_gate_w,
                          input_gate_b,
                          a_gate_w,
                          a_gate_b,
                          a_param,
                          state};
    for (std::int64_t t = 0; t < T; ++t)
      inputs.segment_pos[static_cast<std::size_t>(t)] = position++;
    rg_lru::Options options;
    options.form = prefill ? rg_lru::Form::chunked : rg_lru::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = rg_lru::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  });
  run.kept.push_back({"lru state", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  run.kept.push_back({"conv state", CacheRole::conv_state, conv.state_elements(), std::nullopt, 0});
  return run;
}

// RWKV-7 time mixing: the WKV7 kernel, chunked in prefill and recurrent in decode, on random
// r, k, v, decays in the trained models' range (−e^{−0.5}, 0), and a = −κ̂, b = κ̂ ⊙ α. The
// token shift (2·H·N, the previous token's inputs of time and channel mixing) is kept as well.
std::optional<LayerRun> run_rwkv7(const config::Node& node, const std::string& path,
                                  const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_heads"), N = count(reader, "head_dim");
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
    rwkv7::Inputs inputs{random_normal({1, T, H, N}, rng),
                         random_uniform({1, T, H, N}, -0.6065, -0.01, rng),
                         random_normal({1, T, H, N}, rng),
                         random_normal({1, T, H, N}, rng),
                         {},
                         {},
                         state};
    Tensor kk = random_normal({1, T, H, N}, rng);
    for (std::int64_t row = 0; row < T * H; ++row) {
      double norm = 0;
      for (std::int64_t d = 0; d < N; ++d)
        norm +=
            kk[static_cast<std::size_t>(row * N + d)] * kk[static_cast<std::size_t>(row * N + d)];
      for (std::int64_t d = 0; d < N; ++d)
        kk[static_cast<std::size_t>(row * N + d)] /= std::sqrt(norm);
    }
    rwkv7::set_a_b_from_kk_iclr(inputs, kk, random_uniform({1, T, H, N}, 0.0, 1.0, rng));
    rwkv7::Options options;
    options.form = prefill ? rwkv7::Form::chunked : rwkv7::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = rwkv7::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  });
  run.kept.push_back({"wkv state", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  run.kept.push_back({"token shift", CacheRole::conv_state, 2 * H * N, std::nullopt, 0});
  return run;
}

// mLSTM: chunkwise in prefill, recurrent steps in decode, (C, n, m) carried; random q, k, v and
// gate pre-activations (input gate around 0, forget gate mostly open), xLSTM-7B's soft-cap 15.
std::optional<LayerRun> run_mlstm(const config::Node& node, const std::string& path,
                                  const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t NH = count(reader, "n_heads"), DK = count(reader, "head_dim_k"),
                     DV = count(reader, "head_dim_v");
  Tensor C, n, m;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
    const mlstm::Inputs inputs{random_normal({1, T, NH, DK}, rng),
                               random_normal({1, T, NH, DK}, rng),
                               random_normal({1, T, NH, DV}, rng),
                               random_uniform({1, T, NH}, -3.0, 3.0, rng),
                               random_uniform({1, T, NH}, 0.0, 6.0, rng),
                               C,
                               n,
                               m};
    mlstm::Options options;
    options.form = prefill ? mlstm::Form::chunkwise : mlstm::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = mlstm::run(inputs, options);
    counts.merge(result.counts);
    C = result.final_state;
    n = result.final_n;
    m = result.final_m;
  });
  run.kept.push_back({"C+n+m", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(C.size() + n.size() + m.size()), std::nullopt, 0});
  return run;
}

}  // namespace attnsim::sim
