// The per-kind executions of `attnsim simulate`, listed in sim/registry.cpp. Each reads its
// mixer instance's keys (as its Mixer reads them) and runs the kind's reference kernel.
#pragma once

#include "sim/execution.h"

namespace attnsim::sim {

std::optional<LayerRun> run_softmax_attn(const config::Node&, const std::string&, const RunPlan&,
                                         Rng&);
std::optional<LayerRun> run_gated_attn(const config::Node&, const std::string&, const RunPlan&,
                                       Rng&);
std::optional<LayerRun> run_mla(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_dsa(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_gated_deltanet(const config::Node&, const std::string&, const RunPlan&,
                                           Rng&);
std::optional<LayerRun> run_kda(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_lightning(const config::Node&, const std::string&, const RunPlan&,
                                      Rng&);
std::optional<LayerRun> run_mamba1(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_mamba2(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_short_conv(const config::Node&, const std::string&, const RunPlan&,
                                       Rng&);
std::optional<LayerRun> run_rg_lru(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_rwkv7(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_mlstm(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_mamba3(const config::Node&, const std::string&, const RunPlan&, Rng&);
std::optional<LayerRun> run_diff_attn(const config::Node&, const std::string&, const RunPlan&,
                                      Rng&);
std::optional<LayerRun> run_parallel_hybrid(const config::Node&, const std::string&, const RunPlan&,
                                            Rng&);

}  // namespace attnsim::sim
