// The reference facet of a parallel hybrid: the facets of its two branches side by side. Each
// branch's names get its prefix ("attention_q", "ssm_x", axis "ssm_H"); the batch, token axes
// and chunk size are shared. `attention_kind` and `ssm_kind` choose the branches' facets.
#include "mixers/parallel_hybrid/session.h"

#include <cctype>

#include "mixers/mixer.h"

namespace attnsim::parallel_hybrid {

using namespace reference;

namespace {
constexpr const char* kParts[] = {"attention", "ssm"};

bool shared(std::string_view name) {
  return name == "B" || name == "T" || name == "Tq" || name == "Tk" || name == "chunk_size";
}
std::string prefixed(std::string_view part, const std::string& name) {
  return shared(name) ? name : std::string(part) + "_" + name;
}
// Every name of an axis expression prefixed, except the shared ones.
std::string prefixed_axes(std::string_view part, const std::string& axes) {
  std::string out;
  for (std::size_t i = 0; i < axes.size();) {
    if (!std::isalpha(static_cast<unsigned char>(axes[i]))) {
      out += axes[i++];
      continue;
    }
    std::size_t end = i;
    while (end < axes.size() &&
           (std::isalnum(static_cast<unsigned char>(axes[end])) || axes[end] == '_'))
      ++end;
    out += prefixed(part, axes.substr(i, end - i));
    i = end;
  }
  return out;
}
// The branch's own binding: its prefixed values without the prefix, and the shared ones.
Binding part_binding(const Binding& bound, std::string_view part) {
  Binding own;
  const std::string head = std::string(part) + "_";
  for (const auto& [name, value] : bound.values())
    if (name.rfind(head, 0) == 0)
      own.set(name.substr(head.size()), value);
    else if (shared(name))
      own.set(name, value);
  return own;
}
const Facet* branch_facet(const Binding& bound, std::string_view part) {
  const MixerKind* kind = find_mixer_kind(bound.text_or(std::string(part) + "_kind", ""));
  return kind != nullptr ? kind->reference : nullptr;
}

Signature signature(const Binding& bound) {
  std::vector<std::string> kinds;
  for (const MixerKind& kind : mixer_kinds())
    if (kind.reference != nullptr && kind.kind != "parallel_hybrid") kinds.emplace_back(kind.kind);
  Signature s;
  s.scalars = {{"attention_kind", ScalarType::text, kinds}, {"ssm_kind", ScalarType::text, kinds}};
  for (const char* part : kParts) {
    const Facet* facet = branch_facet(bound, part);
    if (facet == nullptr) continue;
    Signature branch = facet->signature(part_binding(bound, part));
    for (TensorSpec& spec : branch.tensors) {
      spec.name = prefixed(part, spec.name);
      spec.axes = prefixed_axes(part, spec.axes);
      if (!spec.unless.empty()) spec.unless = prefixed(part, spec.unless);
      s.tensors.push_back(std::move(spec));
    }
    for (ScalarSpec& spec : branch.scalars) {
      spec.name = prefixed(part, spec.name);
      s.scalars.push_back(std::move(spec));
    }
    for (OutputSpec& spec : branch.outputs)
      s.outputs.push_back({prefixed(part, spec.name), prefixed_axes(part, spec.axes)});
  }
  return s;
}

class HybridSession final : public Session {
 public:
  HybridSession(const Binding& bound, const SessionOptions& options) {
    form_index(options.form, {});
    for (const char* part : kParts) {
      const Facet* facet = branch_facet(bound, part);
      ATTNSIM_ASSERT(facet != nullptr, "both branch kinds are bound and have a facet");
      SessionOptions own = options;
      own.form = options.cost_form ? facet->cost_form : "";
      parts_.push_back({part, facet->open(part_binding(bound, part), own)});
    }
  }
  Step prefill(const Tensors& inputs) override { return run(inputs, true); }
  Step decode(const Tensors& inputs) override { return run(inputs, false); }
  std::vector<Kept> kept() const override {
    std::vector<Kept> kept;
    for (const auto& [part, session] : parts_)
      for (Kept one : session->kept()) kept.push_back(std::move(one));
    return kept;
  }
  // Cross-layer KV reuse (Hymba): the attention branch's attended keys and values under its
  // prefix, which a reading hybrid's run() hands back to its own attention branch.
  Tensors attended_kv() const override {
    Tensors out;
    for (const auto& [part, session] : parts_) {
      Tensors own = session->attended_kv();
      for (auto& [name, tensor] : own.floats) out.add(part + "_" + name, std::move(tensor));
      for (auto& [name, tensor] : own.ints) out.add(part + "_" + name, std::move(tensor));
    }
    return out;
  }

 private:
  Step run(const Tensors& inputs, bool prefill) {
    Step step;
    for (const auto& [part, session] : parts_) {
      const std::string head = part + "_";
      Tensors own;
      for (const auto& [name, tensor] : inputs.floats)
        if (name.rfind(head, 0) == 0) own.add(name.substr(head.size()), tensor);
      for (const auto& [name, tensor] : inputs.ints)
        if (name.rfind(head, 0) == 0) own.add(name.substr(head.size()), tensor);
      Step branch = prefill ? session->prefill(own) : session->decode(own);
      step.counts.merge(branch.counts);
      for (auto& [name, tensor] : branch.outputs.floats)
        step.outputs.add(head + name, std::move(tensor));
      for (auto& [name, tensor] : branch.outputs.ints)
        step.outputs.add(head + name, std::move(tensor));
    }
    return step;
  }

  std::vector<std::pair<std::string, std::unique_ptr<Session>>> parts_;
};

std::unique_ptr<Session> open(const Binding& bound, const SessionOptions& options) {
  return std::make_unique<HybridSession>(bound, options);
}
}  // namespace

const Facet& facet() {
  static const Facet facet{
      &signature,
      &open,
      "",
      "{kind: parallel_hybrid, attention: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, "
      "head_dim: 6}, ssm: {kind: mamba2, n_heads: 4, head_dim: 3, state_size: 5, n_groups: 1, "
      "conv_kernel: 3}}",
      "{kind: parallel_hybrid, attention: {kind: softmax_attn, n_heads: 16, n_kv_heads: 4, "
      "head_dim: 128}, ssm: {kind: mamba2, n_heads: 16, head_dim: 128, state_size: 128, "
      "n_groups: 1, conv_kernel: 4}}",
      "",
      ""};
  return facet;
}

std::optional<Binding> binding(const Mixer& attention, const Mixer& ssm) {
  Binding bound;
  for (const auto& [part, mixer] : {std::pair{"attention", &attention}, std::pair{"ssm", &ssm}}) {
    const std::optional<Binding> own = mixer->reference_binding();
    if (!own) return std::nullopt;
    bound.set(std::string(part) + "_kind", std::string(mixer->kind()));
    for (const auto& [name, value] : own->values()) bound.set(prefixed(part, name), value);
  }
  return bound;
}

}  // namespace attnsim::parallel_hybrid
