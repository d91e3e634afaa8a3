// The reference facet of Mamba-3 (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::mamba3 {
const reference::Facet& facet();
}
