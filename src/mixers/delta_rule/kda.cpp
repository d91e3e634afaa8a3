// Registration of the kda kind (mixers-spec §6); its shape and state accounting are shared
// with the other delta-rule mixer in mixers/delta_rule/shape.h.
#include "mixers/delta_rule/kda.h"

#include "mixers/delta_rule/session.h"

namespace attnsim::kda {

namespace {
std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  return delta_rule::make_delta_rule_mixer("kda", delta_rule::Gate::per_key_channel,
                                           delta_rule::delta_rule_shape(values));
}
}  // namespace

MixerKind kind_info() {
  return {"kda",
          "Kimi Delta Attention: delta rule with a decay per key channel (state HV·K·V)",
          &delta_rule::fields(),
          &from_fields,
          {"recurrent state (recurrent_state): HV·K·V per sequence",
           "conv state (conv_state): (k − 1)·(2·H·K + HV·V) per sequence"},
          {"chunked", "recurrent"},
          {{"kda", "KDA", "Kimi Delta Attention"}},
          &delta_rule::facet(delta_rule::Gate::per_key_channel)};
}

}  // namespace attnsim::kda
