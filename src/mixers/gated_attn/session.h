// The reference facet of gated attention (mixers/reference.h).
#pragma once

#include <optional>

#include "mixers/reference.h"
#include "mixers/softmax_attn/mixer.h"

namespace attnsim::gated_attn {

const reference::Facet& facet();
// Those of softmax attention, with the rotated fraction rounded to an even width.
std::optional<reference::Binding> binding(const softmax_attn::AttentionShape& shape,
                                          double rotary_factor);

}  // namespace attnsim::gated_attn
