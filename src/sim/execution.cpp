// A layer's reference session driven with random inputs, step by step.
#include "sim/execution.h"

#include "core/error.h"

namespace attnsim::sim {

namespace {
// The kept tensor with the dtype and per-token format bytes of the cache term that predicts it.
KeptTensor kept_tensor(const Mixer& mixer, const reference::Kept& kept) {
  for (const CacheTerm& term : mixer.cache_terms())
    if (term.name == kept.name)
      return {kept.name, kept.role, kept.elements, term.dtype,
              term.extra_bytes_per_token * static_cast<std::uint64_t>(kept.tokens)};
  ATTNSIM_ASSERT(false, "a session names what it keeps as the mixer's cache terms: " + kept.name);
}
}  // namespace

std::optional<LayerRun> run_layer(const Mixer& mixer, const RunPlan& plan, Rng& rng) {
  const MixerKind* kind = find_mixer_kind(mixer.kind());
  ATTNSIM_ASSERT(kind != nullptr, "every layer's kind is registered");
  // A cost-model-only kind has no kernel to run: not executed, as below.
  if (kind->reference == nullptr) return std::nullopt;
  const reference::Facet& facet = *kind->reference;
  std::optional<reference::Binding> bound = mixer.reference_binding();
  if (!bound) return std::nullopt;
  bound->set("B", std::int64_t{1});
  bound->set("chunk_size", plan.chunk);
  // query_block 1: no masked pair is computed (the cost model's "half" convention).
  const auto session = facet.open(
      *bound, {std::string(facet.cost_form), Precision::float64, 1, false, true, plan.shares_kv});
  LayerRun run;
  for (std::int64_t i = 0; i <= plan.decode_steps; ++i) {
    const bool prefill = i == 0;
    for (const char* axis : {"T", "Tq", "Tk"}) bound->set(axis, prefill ? plan.tokens : 1);
    using reference::Feed;
    reference::Tensors inputs = random_inputs(
        facet.signature(*bound), *bound,
        prefill ? std::vector{Feed::step, Feed::layer} : std::vector{Feed::step}, rng);
    // A layer reusing an earlier layer's top-k selection reads it step by step.
    if (plan.reused_selections != nullptr)
      inputs.add("topk_indices", (*plan.reused_selections)[static_cast<std::size_t>(i)]);
    // A layer reading an earlier layer's KV cache attends to what that layer attended to.
    if (plan.shared_kv != nullptr) {
      const reference::Tensors& shared = (*plan.shared_kv)[static_cast<std::size_t>(i)];
      for (const auto& [name, tensor] : shared.floats) inputs.add(name, tensor);
      for (const auto& [name, tensor] : shared.ints) inputs.add(name, tensor);
    }
    reference::Step step = prefill ? session->prefill(inputs) : session->decode(inputs);
    if (plan.shares_kv) run.attended_kv.push_back(session->attended_kv());
    (prefill ? run.prefill : run.decode).merge(step.counts);
    if (const IndexTensor* selection = step.outputs.find_ints("topk_indices"))
      run.selections.push_back(*selection);
  }
  for (const reference::Kept& kept : session->kept()) run.kept.push_back(kept_tensor(mixer, kept));
  return run;
}

}  // namespace attnsim::sim
