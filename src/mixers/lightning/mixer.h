// Lightning attention (MiniMax-01, Ling 2.5 / Ring linear layers): linear attention with a
// constant per-head decay and no normaliser; a fixed H·K·V state per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::lightning {
MixerKind kind_info();
}
