// Gated DeltaNet (Qwen3-Next, Qwen3.5 linear layers): a delta-rule recurrence with one scalar decay
// per value head.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::gated_deltanet {
MixerKind kind_info();
}
