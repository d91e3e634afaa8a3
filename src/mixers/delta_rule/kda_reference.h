// Reference execution of KDA, Kimi Delta Attention (per-key-channel gate) (mixers-spec §6):
// recurrent and chunked (WY/UT-transform) forms, GVA head grouping, optional q/k l2norm, initial
// state in, final state out. The maths lives in mixers/common/delta_rule (shared with the other
// delta-rule mixer); this file fixes the gate to per_channel, g [B, T, HV, K].
#pragma once

#include "mixers/common/delta_rule.h"
#include "mixers/delta_rule/kda_core_flops.h"

namespace attnsim::kda {

using Inputs = mixers::DeltaRuleInputs;  // g is [B, T, HV, K]
using Options = mixers::DeltaRuleOptions;
using Result = mixers::DeltaRuleResult;
using Form = mixers::DeltaRuleForm;

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::kda
