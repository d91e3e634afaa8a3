// Gated DeltaNet (Qwen3-Next linear layers): the delta rule with a scalar gate (mixers-spec §5).
#include "mixers/delta_rule/gated_deltanet_reference.h"

namespace attnsim::gated_deltanet {

Result run(const Inputs& inputs, const Options& options) {
  return mixers::run_delta_rule(inputs, options, mixers::GateKind::scalar);
}

}  // namespace attnsim::gated_deltanet
