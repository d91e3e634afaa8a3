// The state carry, layer tensors and short conv of the recurrent kinds' sessions.
#include "mixers/common/recurrent_session.h"

#include <algorithm>

namespace attnsim::mixers {

using namespace reference;

namespace {
// Puts `tensor` under `name`, replacing an earlier one.
void put(Tensors& tensors, const std::string& name, Tensor tensor) {
  for (auto& [key, held] : tensors.floats)
    if (key == name) {
      held = std::move(tensor);
      return;
    }
  tensors.add(name, std::move(tensor));
}

const TensorSpec* spec_of(const Signature& signature, std::string_view name) {
  for (const TensorSpec& spec : signature.tensors)
    if (spec.name == name) return &spec;
  return nullptr;
}
}  // namespace

RecurrentSession::RecurrentSession(Signature signature, std::size_t form, std::size_t decode_form)
    : signature_(std::move(signature)), form_(form), decode_form_(decode_form) {}

void RecurrentSession::convolve(std::vector<std::string> names, bool silu) {
  conv_inputs_ = std::move(names);
  conv_silu_ = silu;
}

void RecurrentSession::convolve_in_core(std::vector<std::string> names, bool silu) {
  convolve(std::move(names), silu);
  conv_in_core_ = true;
}

Step RecurrentSession::prefill(const Tensors& inputs) {
  for (const auto& [name, tensor] : inputs.floats) {
    const TensorSpec* spec = spec_of(signature_, name);
    if (spec != nullptr && spec->feed != Feed::step) put(carried_, name, tensor);
  }
  const Tensor* weights = inputs.find("conv_weight");
  if (!conv_inputs_.empty() && weights != nullptr) conv_.emplace(*weights, conv_silu_);
  return step(inputs, form_);
}

Step RecurrentSession::decode(const Tensors& inputs) { return step(inputs, decode_form_); }

Step RecurrentSession::step(const Tensors& inputs, std::size_t form) {
  Tensors merged = carried_;
  merged.ints = inputs.ints;
  const auto convolved = [&](const std::string& name) {
    return conv_ && !conv_in_core_ &&
           std::find(conv_inputs_.begin(), conv_inputs_.end(), name) != conv_inputs_.end();
  };
  for (const auto& [name, tensor] : inputs.floats) {
    const TensorSpec* spec = spec_of(signature_, name);
    if ((spec == nullptr || spec->feed == Feed::step) && !convolved(name))
      merged.add(name, tensor.borrowed());  // read in place: the step's inputs outlive run()
  }
  OpCounts conv_counts;
  if (conv_) {
    std::vector<const Tensor*> parts;
    for (const std::string& name : conv_inputs_) parts.push_back(&input(inputs, name));
    if (conv_in_core_) {
      conv_->bind(parts);  // the step's inputs, which outlive run()
    } else {
      std::vector<Tensor> mixed = conv_->run(parts, conv_counts);
      for (std::size_t i = 0; i < parts.size(); ++i)
        put(merged, conv_inputs_[i], std::move(mixed[i]));
    }
  }
  Step result = run(merged, form);
  if (conv_ && conv_in_core_) conv_->finish(conv_counts);
  result.counts.merge(conv_counts);
  for (const auto& [name, tensor] : result.outputs.floats) {
    if (name.rfind("final_", 0) != 0) continue;
    const std::string initial = "initial_" + name.substr(6);
    const TensorSpec* spec = spec_of(signature_, initial);
    if (spec != nullptr && spec->feed == Feed::initial_state) put(carried_, initial, tensor);
  }
  return result;
}

std::int64_t RecurrentSession::held(std::initializer_list<std::string_view> names) const {
  std::int64_t elements = 0;
  for (std::string_view name : names)
    if (const Tensor* tensor = carried_.find(name))
      elements += static_cast<std::int64_t>(tensor->size());
  return elements;
}

Kept RecurrentSession::state(std::string name, CacheRole role,
                             std::initializer_list<std::string_view> tensors) const {
  return {std::move(name), role, held(tensors), 0};
}

void RecurrentSession::add_conv_state(std::vector<Kept>& kept, std::string name) const {
  if (conv_) kept.push_back({std::move(name), CacheRole::conv_state, conv_->state_elements(), 0});
}

}  // namespace attnsim::mixers
