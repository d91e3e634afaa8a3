// The reference facet of the gated memory unit (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::gmu {
const reference::Facet& facet();
}
