// Arithmetic at the extremes: a 10 T-parameter dense model at 10 M context and batch 4096.
// Byte counts are exact uint64 (checked; an overflow is a UserError, never a wrapped number);
// FLOPs are doubles on purpose (see cost/flops.h) and must stay finite.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "config/reader.h"
#include "core/error.h"
#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/load.h"
#include "mixers/mixer.h"
#include "tests/support.h"

namespace attnsim {

namespace {
// D = 2^16, 512 heads × 128 = D (MHA), SwiGLU d_ff = 2^18, V = 2^17 untied, 146 layers.
Architecture ten_trillion_model() {
  return testing::load_text(R"(display_name: Extreme
family: Test
params_label: 10T
source:
  references: [hand-written extreme model]
model:
  d_model: 65536
  vocab_size: 131072
  n_layers: 146
  tied_embeddings: false
dtypes:
  weights: bf16
  kv_cache: bf16
mixers:
  attn: {kind: softmax_attn, n_heads: 512, n_kv_heads: 512, head_dim: 128}
ffns:
  mlp: {kind: dense, activation: swiglu, d_ff: 262144}
layers:
  mixer: attn
  ffn: mlp
)");
}

constexpr std::uint64_t kContext = 10ull << 20;  // "10M" = 10 × 2^20 = 10,485,760 tokens
}  // namespace

TEST_CASE("model_params: 10 T parameters are counted exactly") {
  const ParamReport report = model_params(ten_trillion_model());
  // Per layer: attention q,k,v,o 4 × 2^16 × 2^16 = 2^34; SwiGLU 3 × 2^16 × 2^18 = 3 × 2^34;
  // together 2^36 = 68,719,476,736. × 146 = 10,033,043,603,456. Embedding + lm head
  // 2 × 2^17 × 2^16 = 2^34 = 17,179,869,184. Sum 10,050,223,472,640 (norm weights aside).
  const std::uint64_t expected = 10'050'223'472'640ull;
  CHECK(report.total >= expected);
  CHECK(report.total - expected < 146ull * 4 * 65536);  // at most a few norm vectors per layer
}

TEST_CASE("kv_memory: 10 M context × batch 4096 is exact, and past 2^64 it is an error") {
  const Architecture model = ten_trillion_model();
  SUBCASE("batch 4096 fits in 64 bits exactly") {
    const MemoryReport report = kv_memory(model, {kContext}, 4096);
    // Per token: 146 layers × 2 (K, V) × 512 heads × 128 × 2 bytes = 146 × 2^18 = 38,273,024.
    CHECK(report.kv_bytes_per_token == 38'273'024ull);
    // × 10 × 2^20 tokens × 2^12 sequences = 1460 × 2^50 = 1,643,813,863,990,231,040 (< 2^64).
    CHECK(report.rows.at(0).kv_bytes == 1'643'813'863'990'231'040ull);
    CHECK(report.rows.at(0).total_bytes == 1'643'813'863'990'231'040ull);
  }
  SUBCASE("batch 65536 would need 1460 × 2^54 ≈ 2.6e19 bytes: a clear error, not a wrap") {
    CHECK_THROWS_WITH_AS(kv_memory(model, {kContext}, 65536),
                         doctest::Contains("does not fit in 64 bits"), UserError);
  }
}

TEST_CASE("model_flops: a 10 M-token prefill of a 10 T model is a finite double") {
  const FlopReport report = model_flops(ten_trillion_model(), kContext, kContext, FlopOptions{});
  // Lower bound: 2 × weights × tokens = 2 × 1.005e13 × 1.049e7 ≈ 2.1e20, beyond 2^64 ≈ 1.8e19,
  // which is why FLOPs are doubles; attention adds about 146 × 2 × 2 × T² × 65536 / 2 ≈ 2.1e21.
  CHECK(std::isfinite(report.prefill_total));
  CHECK(std::isfinite(report.decode_total));
  CHECK(report.prefill_total > 2.0 * 10'050'223'472'640.0 * static_cast<double>(kContext));
  CHECK(report.prefill_total < 1e23);
  for (const auto& row : report.rows) {
    INFO(row.group, " ", row.operation);
    CHECK(std::isfinite(row.prefill));
    CHECK(std::isfinite(row.decode));
    CHECK(row.prefill >= 0.0);
  }
}

namespace {
// Sum of a mixer's parameter counts, or nullopt when its sizes are rejected (a UserError).
std::optional<std::uint64_t> mixer_params(const config::Node& instance, std::uint64_t d_model) {
  try {
    config::MapReader reader(instance, "mixers.probe");
    const std::unique_ptr<Mixer> mixer = make_mixer(reader);
    Count total = 0;
    for (const auto& [component, count] : mixer->params({d_model})) total += count;
    return total;
  } catch (const UserError&) {
    return std::nullopt;
  }
}

// Every whole-number scalar in a mixer instance, nested maps included (DSA's attention and
// indexer, the parallel hybrid's branches), as pointers into `instance`.
void collect_sizes(config::Node& node, std::vector<config::Node*>& sizes) {
  if (node.is_scalar() && !node.quoted && !node.scalar.empty() &&
      node.scalar.find_first_not_of("0123456789") == std::string::npos)
    sizes.push_back(&node);
  for (auto& entry : node.entries) collect_sizes(entry.value, sizes);
}
}  // namespace

// A wrapped product would make a count drop as a size grows. Multiplying one size (or D) at a
// time by 256 until the model rejects it, the count must never decrease: it grows, stays (sizes
// that are not weights, such as a window), or the mixer reports a UserError. One instance of
// every mixer kind, taken from the first shipped architecture that has it.
TEST_CASE("mixer parameter counts never wrap: growing any size grows the count or is an error") {
  std::set<std::string> kinds_seen;
  int overflow_errors = 0;
  for (const auto& file : list_architecture_files()) {
    const config::Node document = load_resolved_document(file);
    for (const auto& entry : document.find("mixers")->entries) {
      const config::Node* kind = entry.value.find("kind");
      if (kind == nullptr || !kinds_seen.insert(kind->scalar).second) continue;
      const std::uint64_t d_model = std::stoull(document.find("model")->find("d_model")->scalar);
      config::Node probe = entry.value;
      std::vector<config::Node*> sizes;
      collect_sizes(probe, sizes);
      // nullptr stands for D itself.
      sizes.push_back(nullptr);
      for (config::Node* size : sizes) {
        INFO(file.filename().string(), " mixers.", entry.key, " ", size ? size->where.line : 0);
        const std::string original = size ? size->scalar : "";
        std::uint64_t value = size ? std::stoull(original) : d_model;
        std::optional<std::uint64_t> previous = mixer_params(probe, d_model);
        REQUIRE(previous.has_value());
        for (int step = 0; step < 8 && value <= (UINT64_MAX >> 8); ++step) {
          value <<= 8;
          if (size) size->scalar = std::to_string(value);
          const auto count = mixer_params(probe, size ? d_model : value);
          if (!count) {
            ++overflow_errors;
            break;
          }
          CHECK(*count >= *previous);
          previous = count;
        }
        if (size) size->scalar = original;
      }
    }
  }
  // Kinds no shipped architecture uses yet, each named (none since Phi-4-mini-flash shipped
  // diff_attn and gmu).
  const std::set<std::string> not_shipped = {};
  for (const std::string& kind : not_shipped) CHECK(kinds_seen.count(kind) == 0);
  CHECK(kinds_seen.size() + not_shipped.size() == mixer_kinds().size());
  CHECK(overflow_errors > 0);
}

}  // namespace attnsim
