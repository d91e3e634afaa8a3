// The reference facet of the LFM2 short convolution (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::short_conv {
const reference::Facet& facet();
}
