// Differential attention layers (Ye et al., ICLR 2025; Phi-4-mini-flash-reasoning's SambaY):
// two softmax maps per pair of heads, A¹ − λA² over a shared 2D-wide value, with the KV cache of
// the underlying GQA.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::diff_attn {
MixerKind kind_info();
}
