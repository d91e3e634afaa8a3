// Executions of the issue-14 kinds in `attnsim simulate`: Mamba-3 (chunked prefill from zero
// states, then recurrent steps carrying the angle, ssm, k and v states) and differential
// attention (two-pass, queries against the KV cache, the ring trimmed to the window).
#include "config/reader.h"
#include "mixers/diff_attn/reference.h"
#include "mixers/mamba3/reference.h"
#include "sim/kinds.h"

namespace attnsim::sim {

namespace {
std::int64_t count(config::MapReader& reader, std::string_view key) {
  return static_cast<std::int64_t>(reader.required_positive(key));
}
}  // namespace

// The core's per-token inputs are drawn at random (in_proj, the B/C RMSNorm and the Δ/A
// discretisation are outside it); the per-layer biases, D and MIMO weights once.
std::optional<LayerRun> run_mamba3(const config::Node& node, const std::string& path,
                                   const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = count(reader, "n_heads"), P = count(reader, "head_dim");
  const std::int64_t N = count(reader, "state_size");
  const auto G = static_cast<std::int64_t>(reader.optional_positive("n_groups", 1));
  const auto R = static_cast<std::int64_t>(reader.optional_positive("mimo_rank", 1));
  const std::int64_t S =
      mamba3::rope_angles(N, reader.optional_number("rope_fraction").value_or(0.5));
  const bool norm = reader.optional_bool("outproj_norm", false);
  mamba3::Inputs in;
  in.q_bias = random_normal({H, R, N}, rng);
  in.k_bias = random_normal({H, R, N}, rng);
  in.D = random_normal({H}, rng);
  if (R > 1) {
    in.mimo_v = random_normal({H, R, P}, rng);
    in.mimo_z = random_normal({H, R, P}, rng);
    in.mimo_o = random_normal({H, R, P}, rng);
  }
  if (norm) in.outproj_norm_weight = random_uniform({H, P}, 0.5, 1.5, rng);
  LayerRun run;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    const std::int64_t T = prefill ? plan.tokens : 1;
    in.q = random_normal({1, T, R, G, N}, rng);
    in.k = random_normal({1, T, R, G, N}, rng);
    in.v = random_normal({1, T, H, P}, rng);
    in.dt = random_uniform({1, T, H}, 0.01, 0.5, rng);
    in.adt = random_uniform({1, T, H}, -1.0, -0.01, rng);
    in.trap = random_normal({1, T, H}, rng);
    in.angles = random_normal({1, T, H, S}, rng);
    in.z = random_normal({1, T, H, P}, rng);
    mamba3::Options options;
    options.form = prefill ? mamba3::Form::chunked : mamba3::Form::recurrent;
    options.chunk_size = plan.chunk;
    options.pairing = R > 1 ? mamba3::RopePairing::half : mamba3::RopePairing::interleaved;
    options.outproj_norm = norm;
    auto result = mamba3::run(in, options);
    (prefill ? run.prefill : run.decode).merge(result.counts);
    in.initial_angle_state = std::move(result.final_angle_state);
    in.initial_ssm_state = std::move(result.final_ssm_state);
    in.initial_k_state = std::move(result.final_k_state);
    in.initial_v_state = std::move(result.final_v_state);
  }
  const auto kept = [&](const char* name, CacheRole role, const Tensor& t) {
    run.kept.push_back({name, role, static_cast<std::int64_t>(t.size()), std::nullopt, 0});
  };
  kept("ssm state", CacheRole::recurrent_state, in.initial_ssm_state);
  kept("angle state", CacheRole::recurrent_state, in.initial_angle_state);
  kept("k state", CacheRole::conv_state, in.initial_k_state);
  kept("v state", CacheRole::conv_state, in.initial_v_state);
  return run;
}

// HF heads H = 2·n_heads, Hkv = 2·n_kv_heads; queries run with query_block 1, so no masked
// pair is computed (the "half" convention the cost model counts).
std::optional<LayerRun> run_diff_attn(const config::Node& node, const std::string& path,
                                      const RunPlan& plan, Rng& rng) {
  config::MapReader reader(node, path);
  const std::int64_t H = 2 * count(reader, "n_heads"), Hkv = 2 * count(reader, "n_kv_heads");
  const std::int64_t D = count(reader, "head_dim");
  diff_attn::Options options;
  if (const auto window = reader.optional_positive("window"))
    options.window = static_cast<std::int64_t>(*window);
  options.query_block = 1;
  diff_attn::Inputs in;
  in.lambda_q1 = random_uniform({D}, -0.1, 0.1, rng);
  in.lambda_k1 = random_uniform({D}, -0.1, 0.1, rng);
  in.lambda_q2 = random_uniform({D}, -0.1, 0.1, rng);
  in.lambda_k2 = random_uniform({D}, -0.1, 0.1, rng);
  in.subln_weight = random_uniform({2 * D}, 0.5, 1.5, rng);
  diff_attn::KvCache cache;
  LayerRun run;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const std::int64_t T = i == 0 ? plan.tokens : 1;
    in.q = random_normal({1, T, H, D}, rng);
    in.k = random_normal({1, T, Hkv, D}, rng);
    in.v = random_normal({1, T, Hkv, D}, rng);
    (i == 0 ? run.prefill : run.decode).merge(diff_attn::run_with_cache(cache, in, options).counts);
  }
  run.kept.push_back({"k+v", CacheRole::kv, cache.elements(), std::nullopt, 0});
  return run;
}

}  // namespace attnsim::sim
