// The reference facet of the RG-LRU (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::rg_lru {
const reference::Facet& facet();
}
