// Parallel hybrid layers (Falcon-H1): attention heads and SSM heads read the same input side
// by side and their outputs are combined, so one layer keeps both a KV cache and a state.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::parallel_hybrid {
MixerKind kind_info();
}
