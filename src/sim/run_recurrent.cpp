// Executions of the recurrent kinds of mixers-spec-recurrent (short_conv, rg_lru, rwkv7, mlstm):
// a prefill of plan.tokens tokens from an empty state, then single-token decode steps from the
// previous final state, with random inputs and weights.
#include "config/reader.h"
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

}  // namespace attnsim::sim
