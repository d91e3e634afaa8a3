// Colours of mixer layer kinds in figures: one colour per kind, from Paul Tol's colour-blind-safe
// schemes, in three lightness tiers so that greyscale print still tells fixed-size state (light)
// from windowed KV (medium) and KV that grows with context (dark).
#pragma once

#include <string>
#include <vector>

#include "graph/ratio.h"

namespace attnsim::report {

// The colour ("#RRGGBB") of `layer_kind` (Mixer::layer_kind()) whose cache grows as `growth`.
// Known kinds have a fixed colour (the same in every figure); a kind not in the table takes the
// first colour of its tier not in `taken`.
std::string layer_kind_colour(const std::string& layer_kind, CacheGrowth growth,
                              const std::vector<std::string>& taken = {});

// Fill colours of the stacked memory figure: fixed-size state light, KV dark (the same tiers).
inline constexpr const char* kStateFill = "#77AADD";
inline constexpr const char* kKvFill = "#222255";

}  // namespace attnsim::report
