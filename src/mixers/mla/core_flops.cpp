// Closed-form core FLOPs of MLA (mixers-spec §2 "Cost").
#include "mixers/mla/core_flops.h"

#include <cmath>

#include "mixers/softmax_attn/core_flops.h"

namespace attnsim::mla {
namespace {
FlopCounts attention_flops(const softmax_attn::Shapes& shapes, std::int64_t Tq, std::int64_t Tk,
                           std::int64_t query_block, std::optional<std::int64_t> topk) {
  return topk ? softmax_attn::core_flops_selected(shapes, Tq, Tk, *topk)
              : softmax_attn::core_flops(shapes, Tq, Tk, std::nullopt, query_block);
}
}  // namespace

FlopCounts core_flops_naive(const Shapes& s, std::int64_t Tq, std::int64_t Tk,
                            std::int64_t query_block, std::optional<std::int64_t> topk) {
  FlopCounts flops = attention_flops({s.H, s.H, s.dn + s.dr, s.dv}, Tq, Tk, query_block, topk);
  add_macs(flops, "kv_expansion", static_cast<double>(s.H * Tk * s.dc * (s.dn + s.dv)));
  return flops;
}

FlopCounts core_flops_absorbed(const Shapes& s, std::int64_t Tq, std::int64_t Tk,
                               std::int64_t query_block, std::optional<std::int64_t> topk) {
  FlopCounts flops = attention_flops({s.H, 1, s.dc + s.dr, s.dc}, Tq, Tk, query_block, topk);
  add_macs(flops, "q_absorption", static_cast<double>(s.H * Tq * s.dn * s.dc));
  add_macs(flops, "output_projection", static_cast<double>(s.H * Tq * s.dc * s.dv));
  return flops;
}

std::int64_t kv_cache_elements(const Shapes& shapes, std::int64_t tokens) {
  return tokens * (shapes.dc + shapes.dr);
}

double yarn_mscale(double factor, double mscale_cfg) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale_cfg * std::log(factor) + 1.0;
}

}  // namespace attnsim::mla
