// Kimi Delta Attention (Kimi Linear): a delta-rule recurrence with one decay per key channel.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::kda {
MixerKind kind_info();
}
