// Operation counters of the reference kernels.
#include "core/op_counts.h"

#include "core/error.h"

namespace attnsim {

double total_flops(const FlopCounts& flops) {
  double total = 0.0;
  for (const auto& [category, value] : flops) total += value;
  return total;
}

void add_macs(FlopCounts& flops, const std::string& category, double multiply_adds) {
  if (multiply_adds != 0.0) flops[category] += 2.0 * multiply_adds;
}

FlopCounts scaled(FlopCounts flops, double factor) {
  for (auto& [category, value] : flops) value *= factor;
  return flops;
}

FlopCounts combined(FlopCounts a, const FlopCounts& b) {
  for (const auto& [category, value] : b) a[category] += value;
  return a;
}

void OpCounts::add(const std::string& category, std::int64_t multiply_adds) {
  ATTNSIM_ASSERT(multiply_adds >= 0, category);
  if (multiply_adds == 0) return;
  macs[category] += static_cast<std::uint64_t>(multiply_adds);
}

void OpCounts::merge(const OpCounts& other) {
  for (const auto& [category, value] : other.macs) macs[category] += value;
}

FlopCounts OpCounts::flops() const {
  FlopCounts result;
  for (const auto& [category, value] : macs) result[category] = 2.0 * static_cast<double>(value);
  return result;
}

}  // namespace attnsim
