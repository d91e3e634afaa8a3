// The mixer kinds `attnsim oracle` runs (their outputs are written by report/oracle_outputs.h).
#include <fmt/format.h>

#include <utility>

#include "core/error.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

Runner find_runner(const std::string& mixer) {
  static const std::vector<std::pair<std::string, Runner>> runners = {
      {"softmax_attn", &run_softmax_attn},
      {"mla", &run_mla},
      {"dsa", &run_dsa},
      {"gated_attn", &run_gated_attn},
      {"gated_deltanet", &run_gated_deltanet},
      {"kda", &run_kda},
      {"lightning", &run_lightning},
      {"mamba2_ssd", &run_mamba2},
      {"mamba2", &run_mamba2},
      {"short_conv", &run_short_conv},
      {"rg_lru", &run_rg_lru},
      {"rwkv7", &run_rwkv7},
      {"mlstm", &run_mlstm},
      {"mamba3", &run_mamba3},
      {"diff_attn", &run_diff_attn}};
  std::vector<std::string> names;
  for (const auto& [name, runner] : runners) {
    if (name == mixer) return runner;
    names.push_back(name);
  }
  throw UserError({}, "mixer", fmt::format("one of {}", fmt::join(names, ", ")), "'" + mixer + "'");
}

}  // namespace attnsim::oracle
