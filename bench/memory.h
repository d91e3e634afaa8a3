// Peak resident memory of one kernel call, for attnsim_bench --memory.
#pragma once

#include <cstdint>
#include <functional>

namespace attnsim::bench {

// Resident bytes now (VmRSS) and the peak since the last reset (VmHWM), from /proc/self/status.
std::int64_t resident_bytes();
std::int64_t peak_resident_bytes();
// Sets the peak to the current resident size (Linux ≥ 4.0: "5" to /proc/self/clear_refs).
void reset_peak_resident();

}  // namespace attnsim::bench
