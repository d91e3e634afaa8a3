// Mamba (v1) selective-SSM layers (Jamba, Falcon-Mamba): a per-channel diagonal state of
// d_inner × N and a depthwise conv over d_inner channels, fixed per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::mamba1 {
MixerKind kind_info();
}
