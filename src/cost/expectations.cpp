// Implementation of the expectation checks.
#include "cost/expectations.h"

#include <fmt/format.h>

#include <cmath>

#include "cost/memory.h"
#include "cost/params.h"

namespace attnsim {

namespace {
// Tolerance rule for published parameter counts. A figure that ends in six or more zeros was
// given in millions or coarser ("671B", "116.83B", "31.6B") — a rounded figure — and must agree
// within 0.5%. Any other figure is an exact count (safetensors metadata, a paper's table of
// exact counts) and must agree exactly.
constexpr double kRoundedTolerance = 0.005;

bool is_rounded(std::uint64_t published) { return published % 1'000'000 == 0; }

void check_params(std::string_view key, std::uint64_t published, std::uint64_t model,
                  std::vector<std::string>& mismatches) {
  const double difference = std::abs(static_cast<double>(model) - static_cast<double>(published)) /
                            static_cast<double>(published);
  if (is_rounded(published) ? difference <= kRoundedTolerance : model == published) return;
  mismatches.push_back(fmt::format(
      "expect.{}: the file says {} ({}), the model gives {} ({:.3f}% off)", key, published,
      is_rounded(published) ? "rounded, ±0.5%" : "exact", model, 100.0 * difference));
}
}  // namespace

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
  if (const auto& figure = expected.kv_gib_per_sequence) {
    // A rounded figure: within half a unit of its last written digit.
    const std::uint64_t bytes = kv_memory(architecture, {figure->context}, 1).rows.front().kv_bytes;
    const double gib = static_cast<double>(bytes) / static_cast<double>(1ULL << 30);
    const double tolerance = 0.5 * std::pow(10.0, -figure->decimals);
    if (std::abs(gib - figure->gib) > tolerance)
      mismatches.push_back(fmt::format(
          "expect.kv_gib_per_sequence: the file says {} GiB at {} tokens (±{}), the model gives "
          "{:.4f} GiB ({} bytes)",
          figure->gib, figure->context, tolerance, gib, bytes));
  }
  if (expected.params_total || expected.params_active) {
    const ParamReport params = model_params(architecture);
    if (expected.params_total)
      check_params("params_total", *expected.params_total, params.total, mismatches);
    if (expected.params_active)
      check_params("params_active", *expected.params_active, params.active, mismatches);
  }
  return mismatches;
}

}  // namespace attnsim
