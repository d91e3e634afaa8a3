// Mamba-2 (SSD) layers (Nemotron-H, Nemotron 3, Jamba, Bamba, Falcon-H1): a selective
// state-space recurrence with a fixed H·P·N state and a short conv per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::mamba2 {
MixerKind kind_info();
}
