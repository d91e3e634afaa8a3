// The reference facet of RWKV-7 (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::rwkv7 {
const reference::Facet& facet();
}
