// Renders parameter reports (cost/params.h) as a table per architecture, or as JSON.
#pragma once

#include <string>
#include <vector>

#include "cost/params.h"
#include "report/format.h"

namespace attnsim::report {

std::string render_params(const std::vector<ParamReport>& reports, OutputFormat format);

}  // namespace attnsim::report
