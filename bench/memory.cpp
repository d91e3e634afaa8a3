// /proc-based resident-memory readings (see memory.h).
#include "memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace attnsim::bench {
namespace {

std::int64_t status_kib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream fields(line.substr(key.size() + 1));
      std::int64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return -1;
}

}  // namespace

std::int64_t resident_bytes() { return status_kib("VmRSS") * 1024; }
std::int64_t peak_resident_bytes() { return status_kib("VmHWM") * 1024; }

void reset_peak_resident() { std::ofstream("/proc/self/clear_refs") << "5"; }

}  // namespace attnsim::bench
