// Registration of the gated_deltanet kind (mixers-spec §5); its shape and state accounting are
// shared with the other delta-rule mixer in mixers/common/delta_rule_shape.h.
#include "mixers/gated_deltanet/mixer.h"

#include "config/reader.h"
#include "mixers/common/delta_rule_shape.h"

namespace attnsim::gated_deltanet {

namespace {
std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  return delta_rule::make_delta_rule_mixer("gated_deltanet", delta_rule::Gate::scalar,
                                           delta_rule::read_delta_rule_shape(reader));
}
}  // namespace

MixerKind kind_info() {
  return {"gated_deltanet",
          "Gated DeltaNet: delta rule with a scalar decay per head (state HV·K·V)", &from_config};
}

}  // namespace attnsim::gated_deltanet
