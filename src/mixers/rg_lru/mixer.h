// RecurrentGemma / Griffin's recurrent block: linear_x → temporal conv1d → RG-LRU, gated by
// gelu(linear_y), then linear_out; a fixed W-wide state plus (K − 1)·W conv columns per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::rg_lru {
MixerKind kind_info();
}
