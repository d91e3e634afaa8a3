// The reference facet of a parallel hybrid (mixers/reference.h): its branches' facets side by side.
#pragma once

#include <optional>

#include "mixers/reference.h"

namespace attnsim {
class Mixer;
}

namespace attnsim::parallel_hybrid {

const reference::Facet& facet();
// The branches' bindings, prefixed, with their kinds; nullopt if either has no reference form.
std::optional<reference::Binding> binding(const Mixer& attention, const Mixer& ssm);

}  // namespace attnsim::parallel_hybrid
