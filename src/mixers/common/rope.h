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

// apply_rope on `rows` vectors x, x + stride, … that share one position (a token's heads), bit
// for bit, with each pair's angle, cosine and sine computed once instead of once a row.
template <class S>
void apply_rope_rows(S* x, std::int64_t rows, std::int64_t stride, std::int64_t rotary_dim,
                     double position, double theta, RopeStyle style);

}  // namespace attnsim::mixers
