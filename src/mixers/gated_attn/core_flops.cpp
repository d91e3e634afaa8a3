// Closed-form core FLOPs of gated attention (mixers-spec §4 "Cost").
#include "mixers/gated_attn/core_flops.h"

#include "mixers/softmax_attn/core_flops.h"

namespace attnsim::gated_attn {

FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, std::int64_t query_block) {
  return softmax_attn::core_flops({shapes.Hq, shapes.Hkv, shapes.D, shapes.D}, Tq, Tk, window,
                                  query_block);
}

std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens) {
  return tokens * 2 * shapes.Hkv * shapes.D;
}

}  // namespace attnsim::gated_attn
