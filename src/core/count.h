// Count: an exact parameter or element count whose + and × are checked (core/units.h), so a
// formula written in Counts reports an absurd size as a UserError instead of wrapping to a wrong
// number. Mixer parameter formulas use it: every operand is a Count, so no product can slip
// through unchecked. It reads back as a plain uint64_t.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/units.h"

namespace attnsim {

class Count {
 public:
  constexpr Count() = default;
  constexpr Count(std::uint64_t value) : value_(value) {}  // NOLINT: a size is a count
  constexpr operator std::uint64_t() const { return value_; }  // NOLINT: reads back as a size

  Count& operator+=(Count other) {
    value_ = checked_add(value_, other.value_, kWhat);
    return *this;
  }
  friend Count operator+(Count a, Count b) { return a += b; }
  friend Count operator*(Count a, Count b) { return checked_mul(a.value_, b.value_, kWhat); }

  // With a plain integer (a literal factor such as 2·d_inner): these match exactly, so they are
  // chosen over the built-in unchecked operator that the conversion above would otherwise reach.
  template <std::integral I>
  friend Count operator*(Count a, I b) { return a * from(b); }
  template <std::integral I>
  friend Count operator*(I a, Count b) { return from(a) * b; }
  template <std::integral I>
  friend Count operator+(Count a, I b) { return a + from(b); }
  template <std::integral I>
  friend Count operator+(I a, Count b) { return from(a) + b; }

 private:
  static constexpr std::string_view kWhat = "parameter count";

  template <std::integral I>
  static Count from(I value) {
    if constexpr (std::signed_integral<I>) ATTNSIM_ASSERT(value >= 0, "a count factor is negative");
    return Count(static_cast<std::uint64_t>(value));
  }

  std::uint64_t value_ = 0;
};

// The parameter component of a mixer or FFN that is a norm of D on the block's output besides
// its pre-norm (Gemma 3's post_attention_layernorm): the model counts it with the layer norms.
inline constexpr std::string_view kPostNorm = "post_norm";

}  // namespace attnsim
