// Text rendering of `attnsim simulate`: measured vs predicted per layer kind and quantity.
#pragma once

#include <string>

#include "sim/simulate.h"

namespace attnsim::report {

std::string format_simulation(const sim::SimulationReport& report);

}  // namespace attnsim::report
