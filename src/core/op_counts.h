// Operation counts measured by instrumenting a reference kernel, and closed-form FLOP counts.
// Convention (mixers-spec §0): one multiply-add = 2 FLOPs; only multiply-adds are counted.
// Counts are exact integers; FLOPs are doubles (exact below 2^53, estimates beyond).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace attnsim {

// FLOPs per category ("scores", "av", "state_update", ...).
using FlopCounts = std::map<std::string, double>;

double total_flops(const FlopCounts& flops);
// Adds 2·multiply_adds FLOPs to `category`; zero counts leave no entry (as OpCounts::add).
void add_macs(FlopCounts& flops, const std::string& category, double multiply_adds);

// flops · factor, per category (e.g. one head's count times the number of heads).
FlopCounts scaled(FlopCounts flops, double factor);
// a + b, per category.
FlopCounts combined(FlopCounts a, const FlopCounts& b);

// Multiply-adds performed by a kernel, per category.
struct OpCounts {
  std::map<std::string, std::uint64_t> macs;

  void add(const std::string& category, std::int64_t multiply_adds);
  void merge(const OpCounts& other);
  FlopCounts flops() const;  // 2 per multiply-add
};

}  // namespace attnsim
