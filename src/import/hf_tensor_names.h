// The parameter tensors of an architecture under the names Hugging Face transformers gives them
// (model.layers.*.self_attn.q_proj.weight), so that `attnsim params --by tensor` can be diffed
// line by line against model.named_parameters() with layer indices folded to `*`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/architecture.h"

namespace attnsim::import {

// One name with layer indices folded: how many layers have it (0 for a model-level tensor such
// as the embedding table) and its elements summed over them.
struct NamedTensor {
  std::string name;
  std::uint64_t layers = 0;
  std::uint64_t elements = 0;
  // false: a mixer kind that does not name its tensors; the name is attnsim's component.
  bool named = true;
  // true: a buffer a checkpoint stores beside the parameters (e_score_correction_bias).
  bool stored = false;
};

// Every tensor of the layer graph, embeddings and lm head (tied: listed once, as transformers'
// named_parameters() does), in order of first appearance. Names follow the family of
// source.model_type (Llama's when it is empty or not known). MTP modules are not listed
// (transformers does not build them).
std::vector<NamedTensor> transformers_tensors(const Architecture& architecture);

// Whether the names of this model_type are held to transformers' own (tests/params_reference_test
// against transformers 5.17's named parameters); other model types get Llama's layout.
bool names_checked(const std::string& model_type);

}  // namespace attnsim::import
