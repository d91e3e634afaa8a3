// Implementation of the expectation checks.
#include "cost/expectations.h"

#include <fmt/format.h>

#include "cost/memory.h"

namespace attnsim {

std::vector<std::string> check_expectations(const Architecture& architecture) {
  std::vector<std::string> mismatches;
  const auto& expected = architecture.expect;
  if (!expected.layer_counts.empty()) {
    const auto actual = count_layer_kinds(architecture);
    for (const auto& [kind, count] : expected.layer_counts) {
      const auto found = actual.find(kind);
      const std::uint64_t have = found == actual.end() ? 0 : found->second;
      if (have != count)
        mismatches.push_back(
            fmt::format("expect.layers.{}: the file says {}, the graph has {}", kind, count, have));
    }
    for (const auto& [kind, count] : actual)
      if (!expected.layer_counts.contains(kind))
        mismatches.push_back(fmt::format(
            "expect.layers: the graph has {} '{}' layers that expect.layers does not list", count,
            kind));
  }
  if (expected.kv_bytes_per_token) {
    const std::uint64_t actual = kv_memory(architecture, {1}, 1).kv_bytes_per_token;
    if (actual != *expected.kv_bytes_per_token)
      mismatches.push_back(
          fmt::format("expect.kv_bytes_per_token: the file says {}, the model gives {}",
                      *expected.kv_bytes_per_token, actual));
  }
  return mismatches;
}

}  // namespace attnsim
