// A layer's reference session driven with random inputs, step by step.
#include "sim/execution.h"

#include "config/reader.h"

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

std::optional<LayerRun> run_layer(const Mixer& mixer, const config::Node& node,
                                  const std::string& path, const RunPlan& plan, Rng& rng) {
  const MixerKind* kind = find_mixer_kind(mixer.kind());
  if (kind == nullptr || kind->reference == nullptr) return run_mixer(node, path, plan, rng);
  const reference::Facet& facet = *kind->reference;
  std::optional<reference::Binding> bound = mixer.reference_binding();
  if (!bound) return std::nullopt;
  bound->set("B", std::int64_t{1});
  bound->set("chunk_size", plan.chunk);
  // query_block 1: no masked pair is computed (the cost model's "half" convention).
  const auto session =
      facet.open(*bound, {std::string(facet.cost_form), Precision::float64, 1, false, true});
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
    reference::Step step = prefill ? session->prefill(inputs) : session->decode(inputs);
    (prefill ? run.prefill : run.decode).merge(step.counts);
    if (const IndexTensor* selection = step.outputs.find_ints("topk_indices"))
      run.selections.push_back(*selection);
  }
  for (const reference::Kept& kept : session->kept()) run.kept.push_back(kept_tensor(mixer, kept));
  return run;
}

const SimKind* find_sim_kind(std::string_view kind) {
  for (const auto& entry : sim_kinds())
    if (entry.kind == kind) return &entry;
  return nullptr;
}

std::optional<LayerRun> run_mixer(const config::Node& mixer, const std::string& path,
                                  const RunPlan& plan, Rng& rng) {
  const config::Node* kind = mixer.find("kind");
  ATTNSIM_ASSERT(kind != nullptr, "the loader has checked every mixer's kind");
  const SimKind* entry = find_sim_kind(kind->scalar);
  if (entry == nullptr) return std::nullopt;
  return entry->run(mixer, path, plan, rng);
}

Tensor random_normal(std::vector<std::int64_t> dims, Rng& rng) {
  Tensor tensor(std::move(dims));
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& value : tensor.data) value = normal(rng);
  return tensor;
}

Tensor random_uniform(std::vector<std::int64_t> dims, double low, double high, Rng& rng) {
  Tensor tensor(std::move(dims));
  std::uniform_real_distribution<double> uniform(low, high);
  for (double& value : tensor.data) value = uniform(rng);
  return tensor;
}

ShortConv::ShortConv(std::int64_t channels, std::int64_t kernel, Rng& rng)
    : channels_(channels),
      kernel_(kernel),
      weights_(random_normal({channels, kernel}, rng)),
      state_(static_cast<std::size_t>((kernel - 1) * channels), 0.0) {}

Tensor ShortConv::run(const Tensor& x, OpCounts& counts) {
  ATTNSIM_ASSERT(x.rank() == 3 && x.dim(0) == 1 && x.dim(2) == channels_, "x is [1, T, C]");
  const std::int64_t T = x.dim(1);
  const auto C = static_cast<std::size_t>(channels_);
  const auto history = static_cast<std::size_t>(kernel_ - 1);
  Tensor y({1, T, channels_});
  for (std::int64_t t = 0; t < T; ++t) {
    const double* input = &x.data[static_cast<std::size_t>(t) * C];
    for (std::size_t c = 0; c < C; ++c) {
      // Tap j < k−1 reads the state (oldest first); the last tap reads the new input.
      double sum = weights_[c * static_cast<std::size_t>(kernel_) + history] * input[c];
      for (std::size_t j = 0; j < history; ++j)
        sum += weights_[c * static_cast<std::size_t>(kernel_) + j] * state_[j * C + c];
      y.data[static_cast<std::size_t>(t) * C + c] = sum;
    }
    counts.add("conv", kernel_ * channels_);
    if (history == 0) continue;
    std::copy(state_.begin() + static_cast<std::ptrdiff_t>(C), state_.end(), state_.begin());
    std::copy(input, input + C, state_.end() - static_cast<std::ptrdiff_t>(C));
  }
  return y;
}

}  // namespace attnsim::sim
