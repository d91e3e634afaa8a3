// Gated memory unit (SambaY, Phi-4-mini-flash-reasoning): a cross-decoder layer that gates the
// SSM output of an earlier Mamba layer of the same token; it keeps no cache and no state.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::gmu {
MixerKind kind_info();
}
