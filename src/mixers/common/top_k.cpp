// Top-k by score descending, ties to the lower index: a threshold by nth_element, then a stable
// radix sort of the kept scores' keys, a byte at a time (O(n + k) rather than O(k log k)).
#include "mixers/common/top_k.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>
#include <utility>

#include "core/error.h"

namespace attnsim::mixers {
namespace {

// A key whose ascending order is the scores' descending order (IEEE-754 bits, sign folded; −0
// taken as +0, as the two compare equal): 32 bits for a float, 64 for a double.
template <class S>
using KeyOf = std::conditional_t<sizeof(S) == 4, std::uint32_t, std::uint64_t>;
template <class S>
KeyOf<S> descending_key(S score) {
  using Key = KeyOf<S>;
  constexpr int sign = 8 * sizeof(Key) - 1;
  Key bits = 0;
  const S x = score + S{0};
  std::memcpy(&bits, &x, sizeof bits);
  const Key ascending = bits >> sign ? ~bits : bits | (Key{1} << sign);
  return ~ascending;
}

// A kept score's key and index (8 bytes for a float: the sort moves half the bytes).
template <class S>
struct Item {
  KeyOf<S> key;
  std::uint32_t index;
};

// Stable LSD radix sort by key, a byte at a time; the histograms of every byte in one pass, and
// a byte every key shares is skipped.
template <class S>
void radix_sort(std::vector<Item<S>>& items) {
  constexpr std::size_t bytes = sizeof(KeyOf<S>);
  std::array<std::array<std::size_t, 256>, bytes> counts{};
  for (const Item<S>& item : items)
    for (std::size_t byte = 0; byte < bytes; ++byte)
      ++counts[byte][(item.key >> (8 * byte)) & 0xff];
  std::vector<Item<S>> swap(items.size());
  for (std::size_t byte = 0; byte < bytes; ++byte) {
    std::array<std::size_t, 256>& start = counts[byte];
    if (std::any_of(start.begin(), start.end(), [&](std::size_t c) { return c == items.size(); }))
      continue;  // every key has this byte
    std::size_t sum = 0;
    for (std::size_t& c : start) sum += std::exchange(c, sum);
    for (const Item<S>& item : items) swap[start[(item.key >> (8 * byte)) & 0xff]++] = item;
    items.swap(swap);
  }
}

// The k-th largest score τ by nth_element, the indices above τ and then those equal to it
// taken in index order (the lowest first), then the stable radix sort of their keys, which
// keeps equal scores in index order.
template <class S>
std::vector<std::int64_t> top_k_of(const S* scores, std::int64_t n, std::int64_t k) {
  ATTNSIM_ASSERT(n <= std::int64_t{UINT32_MAX}, "top_k indexes scores with 32 bits");
  const std::int64_t kept = std::min(n, k);
  std::vector<Item<S>> top;
  top.reserve(static_cast<std::size_t>(kept));
  const auto keep = [&](std::int64_t e) {
    top.push_back({descending_key(scores[e]), static_cast<std::uint32_t>(e)});
  };
  if (kept < n) {
    std::vector<S> copy(scores, scores + n);
    std::nth_element(copy.begin(), copy.begin() + (kept - 1), copy.end(), std::greater<>());
    const S threshold = copy[static_cast<std::size_t>(kept - 1)];
    std::int64_t above = 0;
    for (std::int64_t e = 0; e < n; ++e) above += scores[e] > threshold;
    std::int64_t ties = kept - above;
    for (std::int64_t e = 0; e < n; ++e)
      if (scores[e] > threshold || (scores[e] == threshold && ties-- > 0)) keep(e);
  } else {
    for (std::int64_t e = 0; e < n; ++e) keep(e);
  }
  radix_sort(top);
  std::vector<std::int64_t> indices(top.size());
  for (std::size_t i = 0; i < top.size(); ++i) indices[i] = top[i].index;
  return indices;
}

}  // namespace

std::vector<std::int64_t> top_k(const double* scores, std::int64_t n, std::int64_t k) {
  return top_k_of(scores, n, k);
}
std::vector<std::int64_t> top_k(const float* scores, std::int64_t n, std::int64_t k) {
  return top_k_of(scores, n, k);
}

}  // namespace attnsim::mixers
