// Closed-form FLOPs of differential attention (mixers-spec-new §B "Cost").
#include "mixers/diff_attn/core_flops.h"

#include <algorithm>
#include <cmath>

#include "mixers/softmax_attn/core_flops.h"

namespace attnsim::diff_attn {

FlopCounts core_flops_for_pairs(const Shapes& shapes, double pairs, Form form) {
  const auto heads = static_cast<double>(shapes.H / 2);  // differential heads
  const auto D = static_cast<double>(shapes.D);
  FlopCounts flops;
  add_macs(flops, "scores", heads * 2.0 * pairs * D);
  if (form == Form::two_pass) {
    add_macs(flops, "av", heads * 2.0 * pairs * 2.0 * D);
  } else {
    add_macs(flops, "combine", heads * pairs);
    add_macs(flops, "av", heads * pairs * 2.0 * D);
  }
  return flops;
}

FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, Form form, std::int64_t query_block) {
  return core_flops_for_pairs(shapes, softmax_attn::attended_pairs(Tq, Tk, window, query_block),
                              form);
}

std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens,
                               std::optional<std::int64_t> window) {
  const std::int64_t kept = window ? std::min(tokens, *window) : tokens;
  return kept * 2 * shapes.Hkv * shapes.D;
}

double lambda_init(std::int64_t depth) {
  return 0.8 - 0.6 * std::exp(-0.3 * static_cast<double>(depth));
}

}  // namespace attnsim::diff_attn
