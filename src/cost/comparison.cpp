// One comparison row: the layer ratio, the parameter count and the memory of an architecture.
#include "cost/comparison.h"

#include "cost/params.h"
#include "graph/ratio.h"

namespace attnsim {

ComparisonRow compare_architecture(const Architecture& architecture,
                                   const std::vector<std::uint64_t>& contexts,
                                   std::uint64_t batch) {
  const auto ratio = layer_ratio(architecture);
  const auto params = model_params(architecture);
  return {architecture.name,    architecture.display_name,
          ratio.label(),        ratio.counts(),
          ratio.global_share(), params.total,
          params.active,        kv_memory(architecture, contexts, batch),
          params.lower_bound()};
}

}  // namespace attnsim
