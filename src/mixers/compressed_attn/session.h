// The reference facet of DeepSeek V4's compressed attention (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::compressed_attn {
const reference::Facet& facet();
}
