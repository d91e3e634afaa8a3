// Gated attention (Qwen3-Next / Qwen3.5 full-attention layers): softmax attention with
// zero-centred q/k RMSNorm, partial RoPE and an elementwise sigmoid output gate.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::gated_attn {
MixerKind kind_info();
}
