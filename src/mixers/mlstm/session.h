// The reference facet of the mLSTM (mixers/reference.h).
#pragma once

#include "mixers/reference.h"

namespace attnsim::mlstm {
const reference::Facet& facet();
}
