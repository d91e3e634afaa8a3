// DeepSeek Sparse Attention (V3.2, GLM-5): a lightning indexer scores every cached token with
// its own small key cache, and the main attention (MLA, or GQA/MQA) reads only the top-k.
#pragma once

#include "mixers/mixer.h"

namespace attnsim::dsa {
MixerKind kind_info();
}
