// `attnsim kinds`: the registered mixer kinds — their fields, cache terms and kernel forms —
// rendered from the registry (mixers/mixer.h), as text, Markdown or JSON.
#pragma once

#include <string>

#include "mixers/mixer.h"
#include "report/format.h"

namespace attnsim::report {

// Every kind with its summary (one row each).
std::string render_kind_list(OutputFormat format);
// One kind in full: summary, field table (key, type, role, default, unit, description; nested
// maps' fields as `map.key`), cache terms and forms.
std::string render_kind(const MixerKind& kind, OutputFormat format);

}  // namespace attnsim::report
