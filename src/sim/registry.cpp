// Mixer kinds that `attnsim simulate` can execute: adding one adds its function and one line.
#include "sim/kinds.h"

namespace attnsim::sim {

const std::vector<SimKind>& sim_kinds() {
  static const std::vector<SimKind> kinds = {
      {"softmax_attn", &run_softmax_attn},
      {"gated_attn", &run_gated_attn},
      {"mla", &run_mla},
      {"dsa", &run_dsa},
      {"gated_deltanet", &run_gated_deltanet},
      {"kda", &run_kda},
      {"lightning", &run_lightning},
      {"mamba1", &run_mamba1},
      {"mamba2", &run_mamba2},
      {"parallel_hybrid", &run_parallel_hybrid},
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
