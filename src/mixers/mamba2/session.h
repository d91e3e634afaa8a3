// The reference facet of Mamba-2 (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::mamba2 {
const reference::Facet& facet();
}
