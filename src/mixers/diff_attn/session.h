// The reference facet of differential attention (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::diff_attn {
const reference::Facet& facet();
}
