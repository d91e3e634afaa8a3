// RWKV-7 "Goose" time mixing: the WKV7 generalised delta rule with LoRA-produced decay,
// in-context learning rate, value residual and output gate; a fixed H·N² state plus the token
// shift per sequence.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::rwkv7 {
MixerKind kind_info();
}
