// Layer ratios: classify each layer kind by how its cache grows, name it the way papers do in
// the context of the model, and find the repeating period of the mixer pattern.
#include "graph/ratio.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "core/error.h"

namespace attnsim {

CacheGrowth cache_growth(const Mixer& mixer) {
  bool local = false;
  for (const auto& term : mixer.cache_terms()) {
    if (term.elements_per_token == 0) continue;
    if (!term.max_tokens) return CacheGrowth::global;
    local = true;
  }
  return local ? CacheGrowth::local : CacheGrowth::recurrent;
}

std::string layer_kind_name(const std::string& layer_kind, bool long_form) {
  for (const auto& kind : mixer_kinds())
    for (const auto& name : kind.layer_names)
      if (name.layer_kind == layer_kind)
        return std::string(long_form ? name.long_name : name.short_name);
  std::string text = layer_kind;  // an unlisted kind: its own name, readable
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

namespace {
bool all_distinct(const std::vector<KindCount>& kinds) {
  std::set<std::string> seen;
  for (const auto& kind : kinds)
    if (!seen.insert(kind.label).second) return false;
  return true;
}

// Gemma-style models (one windowed kind beside one global kind, nothing recurrent) are
// described as "local : global"; otherwise each kind keeps its own name.
void name_kinds(std::vector<KindCount>& kinds) {
  const auto count = [&](CacheGrowth growth) {
    return std::count_if(kinds.begin(), kinds.end(),
                         [&](const KindCount& kind) { return kind.growth == growth; });
  };
  if (kinds.size() == 2 && count(CacheGrowth::local) == 1 && count(CacheGrowth::global) == 1) {
    for (auto& kind : kinds) kind.label = kind.growth == CacheGrowth::local ? "local" : "global";
    return;
  }
  for (auto& kind : kinds) kind.label = layer_kind_name(kind.layer_kind, false);
  if (all_distinct(kinds)) return;
  for (auto& kind : kinds) kind.label = layer_kind_name(kind.layer_kind, true);
  if (all_distinct(kinds)) return;
  for (auto& kind : kinds) kind.label = kind.layer_kind;
}

std::vector<std::uint64_t> cycle_counts(const std::vector<std::string>& sequence,
                                        const std::vector<KindCount>& kinds) {
  const std::size_t period = repeating_period(sequence);
  if (period == 0) return {};
  std::vector<std::uint64_t> counts;
  for (const auto& kind : kinds) {
    const auto n =
        std::count(sequence.begin(), sequence.begin() + static_cast<long>(period), kind.layer_kind);
    if (n == 0) return {};  // a kind only in the tail: the pattern does not really repeat
    counts.push_back(static_cast<std::uint64_t>(n));
  }
  // The period must describe the whole model: the heaviest kind's share in one period within
  // 15% of its share of all layers (Kimi Linear 7/27 vs 1/4 passes; Nemotron-H 8B, whose
  // pattern repeats 5:1 but whose tail of Mamba-2 layers makes it 24:4, does not).
  std::uint64_t period_layers = 0;
  std::uint64_t all_layers = 0;
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    period_layers += counts[k];
    all_layers += kinds[k].n_layers;
  }
  const double period_share =
      static_cast<double>(counts.back()) / static_cast<double>(period_layers);
  const double model_share =
      static_cast<double>(kinds.back().n_layers) / static_cast<double>(all_layers);
  if (std::abs(period_share - model_share) > 0.15 * model_share) return {};
  std::uint64_t divisor = 0;
  for (const auto n : counts) divisor = std::gcd(divisor, n);
  for (auto& n : counts) n /= divisor;
  return counts;
}
}  // namespace

std::size_t repeating_period(const std::vector<std::string>& sequence) {
  const std::size_t n = sequence.size();
  for (std::size_t period = 1; period <= n / 2; ++period) {
    const std::size_t full = (n / period) * period;
    bool repeats = true;
    for (std::size_t i = period; i < full && repeats; ++i)
      repeats = sequence[i] == sequence[i % period];
    if (repeats) return period;
  }
  return 0;
}

LayerRatio layer_ratio(const Architecture& architecture) {
  LayerRatio ratio;
  std::vector<std::string> sequence;
  std::map<std::string, KindCount> by_kind;
  for (const auto& layer : architecture.layers) {
    if (!layer.mixer) continue;
    const std::string kind = layer.mixer->layer_kind();
    sequence.push_back(kind);
    auto& entry = by_kind[kind];
    entry.layer_kind = kind;
    // A kind is as heavy as its heaviest layer: layers reading another layer's KV cache
    // (kv_shared_from) keep none, but their kind is the owner's.
    const CacheGrowth growth = cache_growth(*layer.mixer);
    entry.growth = std::max(entry.n_layers == 0 ? growth : entry.growth, growth);
    ++entry.n_layers;
    ++ratio.n_mixer_layers;
    if (growth == CacheGrowth::global) ++ratio.n_global_layers;
  }
  for (auto& [kind, entry] : by_kind) ratio.kinds.push_back(entry);
  std::stable_sort(ratio.kinds.begin(), ratio.kinds.end(),
                   [](const KindCount& a, const KindCount& b) {
                     if (a.growth != b.growth) return a.growth < b.growth;
                     return a.n_layers > b.n_layers;
                   });
  name_kinds(ratio.kinds);
  if (ratio.kinds.size() > 1) ratio.cycle = cycle_counts(sequence, ratio.kinds);
  return ratio;
}

std::string LayerRatio::label() const {
  if (kinds.empty()) return "no mixer layers";
  std::vector<std::string> labels;
  std::vector<std::string> numbers;
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    labels.push_back(kinds[k].label);
    numbers.push_back(std::to_string(cycle.empty() ? kinds[k].n_layers : cycle[k]));
  }
  if (kinds.size() == 1) return fmt::format("{} {}", numbers[0], labels[0]);
  if (!cycle.empty())
    return fmt::format("{} {}", fmt::join(numbers, ":"), fmt::join(labels, " : "));
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < kinds.size(); ++k)
    parts.push_back(fmt::format("{} {}", numbers[k], labels[k]));
  return fmt::format("{}", fmt::join(parts, " : "));
}

std::string LayerRatio::counts() const {
  std::vector<std::string> numbers;
  for (const auto& kind : kinds) numbers.push_back(std::to_string(kind.n_layers));
  return fmt::format("{}", fmt::join(numbers, ":"));
}

double LayerRatio::global_share() const {
  if (n_mixer_layers == 0) return 0.0;
  return static_cast<double>(n_global_layers) / static_cast<double>(n_mixer_layers);
}

double LayerRatio::attention_share() const {
  if (n_mixer_layers == 0) return 0.0;
  std::uint64_t attending = 0;
  for (const auto& kind : kinds)
    if (kind.growth != CacheGrowth::recurrent) attending += kind.n_layers;
  return static_cast<double>(attending) / static_cast<double>(n_mixer_layers);
}

}  // namespace attnsim
