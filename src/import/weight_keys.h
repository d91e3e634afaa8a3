// The weight keys of an imported draft (parameter counts only, never the cache): which biases,
// norms, sinks and router/shared-expert extras a family's transformers model has.
#pragma once

#include "import/draft.h"
#include "import/hf_config.h"

namespace attnsim::import {

// Appends the keys to the draft's mixer and FFN instances and model section.
void add_weight_keys(const HfConfig& config, ArchitectureDraft& draft);

}  // namespace attnsim::import
