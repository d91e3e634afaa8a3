// Registration of the kda kind (mixers-spec §6); its shape and state accounting are shared
// with the other delta-rule mixer in mixers/common/delta_rule_shape.h.
#include "mixers/kda/mixer.h"

#include "config/reader.h"
#include "mixers/common/delta_rule_shape.h"

namespace attnsim::kda {

namespace {
std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  return delta_rule::make_delta_rule_mixer("kda", delta_rule::Gate::per_key_channel,
                                           delta_rule::read_delta_rule_shape(reader));
}
}  // namespace

MixerKind kind_info() {
  return {"kda", "Kimi Delta Attention: delta rule with a decay per key channel (state HV·K·V)",
          &from_config};
}

}  // namespace attnsim::kda
