// The reference facet of DSA (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::dsa {
const reference::Facet& facet();
}
