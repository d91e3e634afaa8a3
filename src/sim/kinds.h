// The per-kind executions of `attnsim simulate` for kinds without a reference facet yet (issue 11
// converts them), listed in sim/registry.cpp. Each reads its mixer instance's keys.
#pragma once

#include "sim/execution.h"

namespace attnsim::sim {

std::optional<LayerRun> run_short_conv(const config::Node&, const std::string&, const RunPlan&,
                                       Rng&);
std::optional<LayerRun> run_rg_lru(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_rwkv7(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_mlstm(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_mamba3(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_diff_attn(const config::Node&, const std::string&, const RunPlan&,
                                      Rng&);

}  // namespace attnsim::sim
