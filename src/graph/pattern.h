// Expansion of compact layer patterns into one name per layer. The forms (architectures/README.md):
//   name                                    every layer
//   {repeat: [a, a, a, b]}                  cycled over the layers (the last cycle may be cut)
//   {list: [a, b, ...]}                     one name per layer (HF `layer_types`)
//   {default: a, at: {b: [3, 7]}, index_base: 1}   index lists (Kimi's `full_attn_layers`)
// and, for whole layers, a Nemotron-H style string in which each letter is a whole layer:
//   pattern: "M-M*E"   letters: {M: {mixer: mamba}, "-": {ffn: mlp}, "*": {mixer: attn}}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/document.h"

namespace attnsim {

// The name "none" leaves a slot empty (a layer without mixer, or without FFN).
inline constexpr std::string_view kNoneName = "none";

// One name per layer from a sequence form above. `path` names the node in messages.
std::vector<std::string> expand_sequence(const config::Node& node, const std::string& path,
                                         std::uint64_t n_layers);

struct LayerSlots {
  std::vector<std::string> mixers;  // "none" where a layer has no mixer
  std::vector<std::string> ffns;    // "none" where a layer has no FFN
};

// Expands a pattern string with its letter table (keys `pattern` and `letters` of `layers`).
LayerSlots expand_letter_pattern(const config::Node& pattern, const config::Node& letters,
                                 const std::string& path, std::uint64_t n_layers);

// Reads a list of layer indices (0-based unless index_base is 1) and checks their range.
std::vector<std::size_t> read_layer_indices(const config::Node& node, const std::string& path,
                                            std::uint64_t n_layers, std::uint64_t index_base);

}  // namespace attnsim
