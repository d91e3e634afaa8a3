// Closed-form core FLOPs of DSA (mixers-spec §3 "Cost").
#include "mixers/dsa/core_flops.h"

namespace attnsim::dsa {

FlopCounts core_flops_indexer(const IndexerShapes& shapes, std::int64_t Tq, std::int64_t Tk,
                              std::int64_t query_block) {
  const double pairs = softmax_attn::attended_pairs(Tq, Tk, std::nullopt, query_block);
  FlopCounts flops;
  add_macs(flops, "index_scores", static_cast<double>(shapes.HI * shapes.dI) * pairs);
  add_macs(flops, "index_weights", static_cast<double>(shapes.HI) * pairs);
  return flops;
}

FlopCounts core_flops_on_attention(const IndexerShapes& indexer,
                                   const softmax_attn::Shapes& attention, std::int64_t Tq,
                                   std::int64_t Tk, std::int64_t topk, std::int64_t query_block,
                                   bool gathered) {
  return combined(core_flops_indexer(indexer, Tq, Tk, query_block),
                  gathered
                      ? softmax_attn::core_flops_selected(attention, Tq, Tk, topk)
                      : softmax_attn::core_flops(attention, Tq, Tk, std::nullopt, query_block));
}

FlopCounts core_flops_on_mla(const IndexerShapes& indexer, const mla::Shapes& attention,
                             bool absorbed, std::int64_t Tq, std::int64_t Tk, std::int64_t topk,
                             std::int64_t query_block, bool gathered) {
  const std::optional<std::int64_t> sparse =
      gathered ? std::optional<std::int64_t>(topk) : std::nullopt;
  const FlopCounts main = absorbed
                              ? mla::core_flops_absorbed(attention, Tq, Tk, query_block, sparse)
                              : mla::core_flops_naive(attention, Tq, Tk, query_block, sparse);
  return combined(core_flops_indexer(indexer, Tq, Tk, query_block), main);
}

std::int64_t index_cache_elements(const IndexerShapes& shapes, std::int64_t tokens) {
  return tokens * shapes.dI;
}

}  // namespace attnsim::dsa
