// KDA, Kimi Delta Attention (per-key-channel gate): the delta rule with a per_channel gate
// (mixers-spec §6).
#include "mixers/delta_rule/kda_reference.h"

namespace attnsim::kda {

Result run(const Inputs& inputs, const Options& options) {
  return mixers::run_delta_rule(inputs, options, mixers::GateKind::per_channel);
}

}  // namespace attnsim::kda
