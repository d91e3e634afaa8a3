// xLSTM's mLSTM layer (xLSTM 7B): exponential-gated matrix memory with a normaliser and a max
// stabiliser; a fixed NH·(DK·DV + DK + 1) state per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::mlstm {
MixerKind kind_info();
}
