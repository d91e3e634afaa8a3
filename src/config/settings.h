// `--set key.path=value` on the command line: a one-line change to an architecture document,
// applied after `extends:` is resolved and before the document is read.
#pragma once

#include <string>
#include <vector>

#include "config/document.h"

namespace attnsim::config {

// Overlays each "a.b.c=VALUE" on `document` as if the file said `a: {b: {c: VALUE}}` (VALUE is
// read as YAML, so 4 is a number and [a, b] a list; the usual merge rules apply, see
// merge_documents). Values carry the location "--set a.b.c=VALUE" so that the loader's errors
// name the setting. Throws UserError for a setting without '=' or with an empty key.
Node apply_settings(const Node& document, const std::vector<std::string>& settings);

}  // namespace attnsim::config
