// Reference execution of Gated DeltaNet (Qwen3-Next linear layers) (mixers-spec §5): recurrent and
// chunked (WY/UT-transform) forms, GVA head grouping, optional q/k l2norm, initial state in, final
// state out. The maths lives in mixers/common/delta_rule (shared with the other delta-rule
// mixer); this file fixes the gate to scalar, g [B, T, HV].
#pragma once

#include "mixers/common/delta_rule.h"
#include "mixers/delta_rule/core_flops.h"

namespace attnsim::gated_deltanet {

using Inputs = mixers::DeltaRuleInputs;  // g is [B, T, HV]
using Options = mixers::DeltaRuleOptions;
using Result = mixers::DeltaRuleResult;
using Form = mixers::DeltaRuleForm;

Result run(const Inputs& inputs, const Options& options);

}  // namespace attnsim::gated_deltanet
