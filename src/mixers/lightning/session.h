// The reference facet of lightning attention (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::lightning {
const reference::Facet& facet();
}
