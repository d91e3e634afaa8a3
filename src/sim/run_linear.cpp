// Executions of the linear/SSM kinds: chunked prefill from a zero state, then recurrent single
// steps from the previous final state (what the cost model counts). The short convs of the
// delta-rule and Mamba-2 layers run too (sim::ShortConv), feeding the core its inputs.
#include "config/reader.h"
#include "mixers/gated_deltanet/reference.h"
#include "mixers/kda/reference.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba2/reference.h"
#include "sim/kinds.h"

namespace attnsim::sim {

namespace {

std::int64_t count(config::MapReader& reader, std::string_view key) {
  return static_cast<std::int64_t>(reader.required_positive(key));
}

std::optional<LayerRun> run_delta_rule(const config::Node& node, const std::string& path,
                                       const RunPlan& plan, Rng& rng, bool per_channel_gate) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_qk_heads");
  const std::int64_t HV = count(reader, "n_v_heads");
  const std::int64_t K = count(reader, "head_dim_k");
  const std::int64_t V = count(reader, "head_dim_v");
  ShortConv conv(2 * H * K + HV * V, count(reader, "conv_kernel"), rng);
  LayerRun run;
  Tensor state;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    const std::int64_t T = prefill ? plan.tokens : 1;
    OpCounts& counts = prefill ? run.prefill : run.decode;
    const Tensor mixed = conv.run(random_normal({1, T, 2 * H * K + HV * V}, rng), counts);
    mixers::DeltaRuleInputs inputs;
    inputs.q = channel_slice(mixed, 0, {H, K});
    inputs.k = channel_slice(mixed, H * K, {H, K});
    inputs.v = channel_slice(mixed, 2 * H * K, {HV, V});
    inputs.g = per_channel_gate ? random_uniform({1, T, HV, K}, -0.5, -0.01, rng)
                                : random_uniform({1, T, HV}, -0.5, -0.01, rng);
    inputs.beta = random_uniform({1, T, HV}, 0.0, 1.0, rng);
    inputs.initial_state = state;
    mixers::DeltaRuleOptions options;
    options.form = prefill ? mixers::DeltaRuleForm::chunked : mixers::DeltaRuleForm::recurrent;
    options.chunk_size = plan.chunk;
    const auto result =
        per_channel_gate ? kda::run(inputs, options) : gated_deltanet::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  }
  run.kept.push_back({"recurrent state", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  run.kept.push_back({"conv state", CacheRole::conv_state, conv.state_elements(), std::nullopt, 0});
  return run;
}

}  // namespace

std::optional<LayerRun> run_gated_deltanet(const config::Node& node, const std::string& path,
                                           const RunPlan& plan, Rng& rng) {
  return run_delta_rule(node, path, plan, rng, false);
}

std::optional<LayerRun> run_kda(const config::Node& node, const std::string& path,
                                const RunPlan& plan, Rng& rng) {
  return run_delta_rule(node, path, plan, rng, true);
}

std::optional<LayerRun> run_lightning(const config::Node& node, const std::string& path,
                                      const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_heads");
  const std::int64_t K = count(reader, "head_dim");  // V = K (mixers/lightning/mixer.cpp)
  const Tensor g_gamma = random_uniform({H}, -0.5, -0.01, rng);
  LayerRun run;
  Tensor state;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    const std::int64_t T = prefill ? plan.tokens : 1;
    lightning::Inputs inputs{random_normal({1, T, H, K}, rng), random_normal({1, T, H, K}, rng),
                             random_normal({1, T, H, K}, rng), g_gamma, state};
    lightning::Options options;
    options.form = prefill ? lightning::Form::chunked : lightning::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = lightning::run(inputs, options);
    (prefill ? run.prefill : run.decode).merge(result.counts);
    state = result.final_state;
  }
  run.kept.push_back({"recurrent state", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  return run;
}

std::optional<LayerRun> run_mamba2(const config::Node& node, const std::string& path,
                                   const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_heads");
  const std::int64_t P = count(reader, "head_dim");
  const std::int64_t N = count(reader, "state_size");
  const std::int64_t G = count(reader, "n_groups");
  // The conv runs over the x, B and C channels: d_inner + 2·G·N (mixers-spec §8).
  const std::int64_t channels = H * P + 2 * G * N;
  ShortConv conv(channels, count(reader, "conv_kernel"), rng);
  const Tensor dt_bias = random_normal({H}, rng);
  const Tensor A = random_uniform({H}, -1.0, -0.1, rng);
  const Tensor D = random_normal({H}, rng);
  LayerRun run;
  Tensor state;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    const std::int64_t T = prefill ? plan.tokens : 1;
    OpCounts& counts = prefill ? run.prefill : run.decode;
    const Tensor xbc = conv.run(random_normal({1, T, channels}, rng), counts);
    mamba2::Inputs inputs{channel_slice(xbc, 0, {H, P}),
                          random_normal({1, T, H}, rng),
                          dt_bias,
                          A,
                          channel_slice(xbc, H * P, {G, N}),
                          channel_slice(xbc, H * P + G * N, {G, N}),
                          D,
                          state};
    mamba2::Options options;
    options.form = prefill ? mamba2::Form::chunked : mamba2::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = mamba2::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  }
  run.kept.push_back({"ssm state", CacheRole::recurrent_state,
                      static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  run.kept.push_back({"conv state", CacheRole::conv_state, conv.state_elements(), std::nullopt, 0});
  return run;
}

// Attention and SSM side by side: both sub-mixers run on their own inputs (the combination of
// their outputs is elementwise and not counted).
std::optional<LayerRun> run_parallel_hybrid(const config::Node& node, const std::string& path,
                                            const RunPlan& plan, Rng& rng) {
  LayerRun run;
  for (const char* part : {"attention", "ssm"}) {
    const config::Node* child = node.find(part);
    ATTNSIM_ASSERT(child != nullptr, "the loader has checked both parts of a parallel hybrid");
    const auto part_run = run_mixer(*child, path + "." + part, plan, rng);
    if (!part_run) return std::nullopt;
    run.prefill.merge(part_run->prefill);
    run.decode.merge(part_run->decode);
    run.kept.insert(run.kept.end(), part_run->kept.begin(), part_run->kept.end());
  }
  return run;
}

}  // namespace attnsim::sim
