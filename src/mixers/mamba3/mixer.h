// Mamba-3 layers (Lahoti et al., ICLR 2026; state-spaces/mamba Mamba3): a data-dependent-decay
// SSM with the exponential-trapezoidal update, a rotation of B and C by a cumulative
// data-dependent angle, SISO or MIMO of rank R, and no conv: its decode state is the SSM state,
// the angle state and the previous token's k and v.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::mamba3 {
MixerKind kind_info();
}
