// Executions of the linear/SSM kinds: chunked prefill from a zero state, then recurrent single
// steps from the previous final state (what the cost model counts). The short convs of the
// delta-rule and Mamba layers run too (sim::ShortConv), feeding the core its inputs.
#include "config/reader.h"
#include "mixers/delta_rule/gated_deltanet_reference.h"
#include "mixers/delta_rule/kda_reference.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba1/reference.h"
#include "mixers/mamba2/reference.h"
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

// What a linear/SSM layer keeps after the last step: its recurrent state and, when it has a
// short conv, the conv's last k−1 inputs.
void keep_state(LayerRun& run, const std::string& name, const Tensor& state,
                const ShortConv* conv) {
  run.kept.push_back(
      {name, CacheRole::recurrent_state, static_cast<std::int64_t>(state.size()), std::nullopt, 0});
  if (conv != nullptr)
    run.kept.push_back(
        {"conv state", CacheRole::conv_state, conv->state_elements(), std::nullopt, 0});
}

std::optional<LayerRun> run_delta_rule(const config::Node& node, const std::string& path,
                                       const RunPlan& plan, Rng& rng, bool per_channel_gate) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_qk_heads");
  const std::int64_t HV = count(reader, "n_v_heads");
  const std::int64_t K = count(reader, "head_dim_k");
  const std::int64_t V = count(reader, "head_dim_v");
  ShortConv conv(2 * H * K + HV * V, count(reader, "conv_kernel"), rng);
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
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
  });
  keep_state(run, "recurrent state", state, &conv);
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
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
    lightning::Inputs inputs{random_normal({1, T, H, K}, rng), random_normal({1, T, H, K}, rng),
                             random_normal({1, T, H, K}, rng), g_gamma, state};
    lightning::Options options;
    options.form = prefill ? lightning::Form::chunked : lightning::Form::recurrent;
    options.chunk_size = plan.chunk;
    const auto result = lightning::run(inputs, options);
    counts.merge(result.counts);
    state = result.final_state;
  });
  keep_state(run, "recurrent state", state, nullptr);
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
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool prefill, OpCounts& counts) {
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
  });
  keep_state(run, "ssm state", state, &conv);
  return run;
}

// Mamba-1: the conv runs over the d_inner channels of x only; Δ, B and C come out of x_proj and
// dt_proj (projections, not executed) and are drawn at random, as is the gate z. Prefill runs
// the same recurrence as decode: the selective scan has no chunked form (mixers/mamba1/README.md).
std::optional<LayerRun> run_mamba1(const config::Node& node, const std::string& path,
                                   const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t d_inner = count(reader, "d_inner");
  const std::int64_t N = count(reader, "state_size");
  ShortConv conv(d_inner, count(reader, "conv_kernel"), rng);
  const Tensor dt_bias = random_normal({d_inner}, rng);
  const Tensor A = random_uniform({d_inner, N}, -1.0, -0.1, rng);
  const Tensor D = random_normal({d_inner}, rng);
  Tensor state;
  LayerRun run = prefill_then_decode(plan, [&](std::int64_t T, bool, OpCounts& counts) {
    // Braced initialisers run in order, so the random draws do too.
    const mamba1::Inputs inputs{conv.run(random_normal({1, T, d_inner}, rng), counts),
                                random_normal({1, T, d_inner}, rng),
                                dt_bias,
                                A,
                                random_normal({1, T, N}, rng),
                                random_normal({1, T, N}, rng),
                                D,
                                random_normal({1, T, d_inner}, rng),
                                state};
    const auto result = mamba1::run(inputs);
    counts.merge(result.counts);
    state = result.final_state;
  });
  keep_state(run, "ssm state", state, &conv);
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
