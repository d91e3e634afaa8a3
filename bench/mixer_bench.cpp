// attnsim_bench's cases: each mixer's fastest reference form (see cases.h); the driver, GEMM
// peaks and memory readings are in main.cpp, peak.cpp and memory.cpp.
#include <fmt/format.h>

#include <memory>
#include <random>

#include "cases.h"
#include "mixers/mixer.h"

namespace attnsim::bench {
namespace {

// A kind's facet at its benchmark instance: one prefill of T tokens in its benchmark form
// (query blocks of 128), on a fresh session each run.
Case reference_case(const MixerKind& kind, Precision precision) {
  const reference::Facet& facet = *kind.reference;
  const std::shared_ptr<const Mixer> mixer = parse_mixer(std::string(facet.bench_instance));
  return {std::string(kind.kind), fmt::format("{}, {}", facet.bench_form, mixer->describe()),
          [=, &facet](std::int64_t T) {
            reference::Binding bound = *mixer->reference_binding();
            bound.set("B", std::int64_t{1});
            // Chunks of 64 unless the instance has its own (Mamba-3 MIMO: 64 / R).
            if (!bound.has("chunk_size")) bound.set("chunk_size", std::int64_t{64});
            for (const char* axis : {"T", "Tq", "Tk"}) bound.set(axis, T);
            std::mt19937_64 rng(1);
            const reference::Tensors inputs =
                random_inputs(facet.signature(bound), bound,
                              {reference::Feed::step, reference::Feed::layer}, rng);
            const reference::SessionOptions options{std::string(facet.bench_form), precision, 128,
                                                    false, false};
            double input_bytes = 0;
            for (const auto& [name, tensor] : inputs.floats) input_bytes += 8.0 * tensor.size();
            for (const auto& [name, tensor] : inputs.ints) input_bytes += 8.0 * tensor.size();
            return Kernel([=, &facet] {
              reference::Step step = facet.open(bound, options)->prefill(inputs);
              double bytes = input_bytes;
              for (const auto& [name, tensor] : step.outputs.floats) bytes += 8.0 * tensor.size();
              for (const auto& [name, tensor] : step.outputs.ints) bytes += 8.0 * tensor.size();
              return Measured{std::move(step.counts), bytes};
            });
          }};
}

}  // namespace

std::vector<Case> cases(Precision precision) {
  std::vector<Case> all;
  for (const MixerKind& kind : mixer_kinds())
    if (kind.reference != nullptr) all.push_back(reference_case(kind, precision));
  return all;
}

}  // namespace attnsim::bench
