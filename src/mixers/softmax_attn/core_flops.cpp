// Closed-form FLOPs of softmax attention (mixers-spec §1 "Cost").
#include "mixers/softmax_attn/core_flops.h"

#include <algorithm>

namespace attnsim::softmax_attn {

double attended_pairs(std::int64_t Tq, std::int64_t Tk, std::optional<std::int64_t> window,
                      std::int64_t query_block) {
  // Block [i0, i1) sees keys [lo, hi): hi = position of its last query + 1 = Tk − Tq + i1,
  // lo = first key inside the window of its first query.
  double pairs = 0.0;
  for (std::int64_t i0 = 0; i0 < Tq; i0 += query_block) {
    const std::int64_t i1 = std::min(Tq, i0 + query_block);
    const std::int64_t hi = Tk - Tq + i1;
    const std::int64_t lo = window ? std::max<std::int64_t>(0, Tk - Tq + i0 - *window + 1) : 0;
    pairs += static_cast<double>(i1 - i0) * static_cast<double>(hi - lo);
  }
  return pairs;
}

double selected_pairs(std::int64_t Tq, std::int64_t Tk, std::int64_t topk) {
  // Query i sees n_i = Tk − Tq + i + 1 keys: n_i < topk for the first queries, topk after.
  double pairs = 0.0;
  for (std::int64_t i = 0; i < Tq; ++i)
    pairs += static_cast<double>(std::min(topk, Tk - Tq + i + 1));
  return pairs;
}

namespace {
FlopCounts attention_flops(const Shapes& shapes, double pairs) {
  FlopCounts flops;
  add_macs(flops, "scores", static_cast<double>(shapes.Hq * shapes.D) * pairs);
  add_macs(flops, "av", static_cast<double>(shapes.Hq * shapes.Dv) * pairs);
  return flops;
}
}  // namespace

FlopCounts core_flops(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                      std::optional<std::int64_t> window, std::int64_t query_block) {
  return attention_flops(shapes, attended_pairs(Tq, Tk, window, query_block));
}

FlopCounts core_flops_selected(const Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                               std::int64_t topk) {
  return attention_flops(shapes, selected_pairs(Tq, Tk, topk));
}

std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens,
                               std::optional<std::int64_t> window) {
  const std::int64_t kept = window ? std::min(tokens, *window) : tokens;
  return kept * shapes.Hkv * (shapes.D + shapes.Dv);
}

}  // namespace attnsim::softmax_attn
