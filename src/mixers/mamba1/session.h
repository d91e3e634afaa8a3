// The reference facet of Mamba-1 (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::mamba1 {
const reference::Facet& facet();
}
