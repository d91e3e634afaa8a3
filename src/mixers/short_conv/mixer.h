// LFM2's double-gated short convolution (Liquid AI): y = C ⊙ conv(B ⊙ x) with a depthwise
// causal conv of length L; a fixed (L − 1)·D conv state per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::short_conv {
MixerKind kind_info();
}
