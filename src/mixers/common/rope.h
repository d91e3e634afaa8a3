// Rotary position embedding, both pairings (mixers-spec §0 "RoPE").
#pragma once

#include <cstdint>

namespace attnsim::mixers {

// half_split: pairs (j, j + rd/2) (NeoX, HF rotate_half); interleaved: pairs (2j, 2j+1) (GPT-J,
// DeepSeek MLA). Pair j turns by position · theta^(−2j/rd); features ≥ rd are untouched.
enum class RopeStyle { half_split, interleaved };

// Rotates the first `rotary_dim` features of x in place; rotary_dim must be even.
template <class S>
void apply_rope(S* x, std::int64_t rotary_dim, double position, double theta, RopeStyle style);

}  // namespace attnsim::mixers
