// Registration of the gated_deltanet kind (mixers-spec §5); its shape and state accounting are
// shared with the other delta-rule mixer in mixers/delta_rule/shape.h.
#include "mixers/delta_rule/gated_deltanet.h"

#include "mixers/delta_rule/session.h"

namespace attnsim::gated_deltanet {

namespace {
std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  return delta_rule::make_delta_rule_mixer("gated_deltanet", delta_rule::Gate::scalar,
                                           delta_rule::delta_rule_shape(values));
}
}  // namespace

MixerKind kind_info() {
  return {"gated_deltanet",
          "Gated DeltaNet: delta rule with a scalar decay per head (state HV·K·V)",
          &delta_rule::fields(),
          &from_fields,
          {"recurrent state (recurrent_state): HV·K·V per sequence",
           "conv state (conv_state): (k − 1)·(2·H·K + HV·V) per sequence"},
          {"chunked", "recurrent"},
          {{"gated_deltanet", "Gated DeltaNet", "Gated DeltaNet"}},
          &delta_rule::facet(delta_rule::Gate::scalar)};
}

}  // namespace attnsim::gated_deltanet
