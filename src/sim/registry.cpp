// Kinds that `attnsim simulate` runs through a per-kind execution (no reference facet yet).
#include "sim/kinds.h"

namespace attnsim::sim {

const std::vector<SimKind>& sim_kinds() {
  static const std::vector<SimKind> kinds = {
      {"short_conv", &run_short_conv},
      {"rg_lru", &run_rg_lru},
      {"rwkv7", &run_rwkv7},
      {"mlstm", &run_mlstm},
      {"mamba3", &run_mamba3},
      {"diff_attn", &run_diff_attn},
  };
  return kinds;
}

}  // namespace attnsim::sim
