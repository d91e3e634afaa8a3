// Sweep over every shipped architecture file: it parses, its graph builds, its layer counts and
// KV bytes per token equal its `expect:` block, and every number is finite and monotone in
// context and batch. Adding a file adds it here with no test edit.
#include <doctest/doctest.h>

#include <cmath>

#include "cost/expectations.h"
#include "cost/memory.h"
#include "graph/load.h"

namespace attnsim {

TEST_CASE("every shipped architecture") {
  const auto files = list_architecture_files();
  REQUIRE(files.size() >= 6);
  const std::vector<std::uint64_t> contexts{1, 1000, 4096, 32768, 131072, 1048576};
  for (const auto& file : files) {
    CAPTURE(file.string());
    const Architecture architecture = load_architecture_file(file);

    // The graph has one entry per layer run: the physical layers, then (layers.loops) the same
    // layers again on the same weights. Every layer does something.
    const std::size_t physical = architecture.dims.n_layers;
    REQUIRE(architecture.layers.size() % physical == 0);
    for (std::size_t i = physical; i < architecture.layers.size(); ++i)
      CHECK(architecture.layers[i].weights_shared_from.has_value());
    for (const auto& layer : architecture.layers) CHECK((layer.mixer || layer.ffn));

    // Published facts hold, and each file states at least its layer counts.
    CHECK(check_expectations(architecture) == std::vector<std::string>{});
    CHECK_FALSE(architecture.expect.layer_counts.empty());
    CHECK_FALSE((architecture.source.config.empty() && architecture.source.references.empty()));

    const MemoryReport one = kv_memory(architecture, contexts, 1);
    const MemoryReport eight = kv_memory(architecture, contexts, 8);
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const auto& row = one.rows[i];
      CHECK(row.total_bytes == row.kv_bytes + row.state_bytes);
      CHECK(eight.rows[i].total_bytes == 8 * row.total_bytes);
      if (i > 0) CHECK(row.kv_bytes >= one.rows[i - 1].kv_bytes);
      if (i > 0) CHECK(row.state_bytes == one.rows[i - 1].state_bytes);
      // No layer keeps more than it would as full attention without windows, unless it adds
      // an indexer (DSA) — the saving is a finite number either way.
      if (const auto saving = row.saving_vs_full_attention()) CHECK(std::isfinite(*saving));
    }
    // A model with attention grows with context; a window never makes it shrink.
    if (one.kv_bytes_per_token > 0) CHECK(one.rows.back().kv_bytes > one.rows.front().kv_bytes);
  }
}

}  // namespace attnsim
