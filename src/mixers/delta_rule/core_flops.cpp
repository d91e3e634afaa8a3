// Closed-form core FLOPs of gated_deltanet (mixers-spec §5 "Cost"), per value head times HV.
#include "mixers/delta_rule/core_flops.h"

#include "mixers/common/delta_rule.h"

namespace attnsim::gated_deltanet {
FlopCounts core_flops_recurrent(const Shapes& shapes, std::int64_t T) {
  return scaled(mixers::delta_rule_flops_recurrent(shapes.K, shapes.V, T),
                static_cast<double>(shapes.HV));
}

FlopCounts core_flops_chunked(const Shapes& shapes, std::int64_t T, std::int64_t C) {
  return scaled(mixers::delta_rule_flops_chunked(shapes.K, shapes.V, T, C),
                static_cast<double>(shapes.HV));
}

std::int64_t state_elements(const Shapes& shapes) { return shapes.HV * shapes.K * shapes.V; }

}  // namespace attnsim::gated_deltanet
