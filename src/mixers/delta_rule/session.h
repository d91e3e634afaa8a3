// The reference facet shared by the two delta-rule kinds (mixers/reference.h).
#pragma once

#include "mixers/delta_rule/shape.h"
#include "mixers/reference.h"

namespace attnsim::delta_rule {

const reference::Facet& facet(Gate gate);
// H, HV, K, V and the conv width Kconv of an instance.
reference::Binding binding(const DeltaRuleShape& shape);

}  // namespace attnsim::delta_rule
