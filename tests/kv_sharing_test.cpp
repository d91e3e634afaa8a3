// Cross-layer KV reuse (layers.overrides kv_shared_from): the loader's checks, the cost model
// (KV counted once at the owner, no k/v projections in parameters and FLOPs), `layers`, and a
// reading session attending to the owner's cache, all against hand arithmetic.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "mixers/softmax_attn/reference.h"
#include "mixers/softmax_attn/session.h"
#include "sim/simulate.h"
#include "tests/support.h"

namespace attnsim {

using testing::architecture_yaml;
using testing::load_error;
using testing::load_text;

namespace {
// Four mixer-only layers of GQA attention, Hq = 4, Hkv = 2, D = 8 (d_model 512, vocab 1000,
// untied); layers 2 and 3 read layer 1's cache.
std::string shared_yaml(const std::string& extra_keys = "") {
  return architecture_yaml(
      "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}",
      "  mixer: attn\n  overrides:\n    - {layers: [2, 3], kv_shared_from: 1" + extra_keys + "}",
      4);
}

std::uint64_t row_total(const ParamReport& report, const std::string& component, bool active) {
  std::uint64_t sum = 0;
  for (const ParamRow& row : report.rows)
    if (row.component == component) sum += active ? row.active : row.total;
  return sum;
}

double flop_row(const FlopReport& report, const std::string& operation, bool prefill) {
  double sum = 0.0;
  for (const FlopRow& row : report.rows)
    if (row.operation == operation) sum += prefill ? row.prefill : row.decode;
  return sum;
}

// The 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

}  // namespace

TEST_CASE("kv_shared_from: cost model") {
  const Architecture arch = load_text(shared_yaml());
  REQUIRE(arch.layers[2].kv_shared_from == 1u);
  REQUIRE(arch.layers[3].kv_shared_from == 1u);
  CHECK(!arch.layers[1].kv_shared_from);

  SUBCASE("KV is counted once, at the owning layer") {
    // Hkv·(Dk + Dv) = 2·16 = 32 elements × 2 bytes = 64 B per owning layer (0 and 1).
    const MemoryReport report = kv_memory(arch, {100}, 1);
    CHECK(report.kv_bytes_per_token == 2 * 64);
    CHECK(report.rows[0].kv_bytes == 2 * 64 * 100);
  }
  SUBCASE("a reading layer has no k/v projections") {
    // Owner: q 512·32 + k 512·16 + v 512·16 + o 32·512 = 16,384 + 8,192 + 8,192 + 16,384 = 49,152
    // Reader: q + o = 32,768. Two of each: 163,840.
    const ParamReport report = model_params(arch);
    CHECK(row_total(report, "projections", false) == 163840);
    // + embeddings and lm head 2·1000·512 = 1,024,000, 4 pre-norms of 512 and the final norm 512
    CHECK(report.total == 163840 + 1024000 + 4 * 512 + 512);
    CHECK(report.active == report.total - 512000);  // all but the input table
  }
  SUBCASE("kv_projections: unused keeps the weights as parameters, not active") {
    const ParamReport report = model_params(load_text(shared_yaml(", kv_projections: unused")));
    // k and v of the two readers: 2 × (8,192 + 8,192) = 32,768 stored, never run
    CHECK(row_total(report, std::string(kUnusedWeights), false) == 32768);
    CHECK(row_total(report, std::string(kUnusedWeights), true) == 0);
    CHECK(report.total == 4 * 49152 + 1024000 + 5 * 512);
    CHECK(report.active == report.total - 512000 - 32768);
  }
  SUBCASE("FLOPs: no k/v projection for a reading layer") {
    // 2 FLOPs per weight and token: 2 · 163,840 = 327,680 per token.
    const FlopReport flops = model_flops(arch, 10, 64, {});
    CHECK(flop_row(flops, "projections", false) == doctest::Approx(327680.0));
    CHECK(flop_row(flops, "projections", true) == doctest::Approx(3276800.0));
    // The core is unchanged: decode at L = 64 reads 64 keys in every layer,
    // scores 2·Hq·Dk·L = 2·4·8·64 = 4,096 FLOPs per layer, 4 layers.
    CHECK(flop_row(flops, "scores", false) == doctest::Approx(4.0 * 4096.0));
  }
  SUBCASE("roofline: a reading layer reads the owner's cache every step") {
    RooflineOptions options;
    options.context = 1000;
    options.timing = TimingModel::spec;
    const RooflineReport report = roofline(arch, load_hardware("h100-sxm"), options);
    // Held: 2 owners × 64 B × 1000 tokens; read: those plus 2 readers × 64,000 B.
    CHECK(report.decode.bytes.kv_bytes == doctest::Approx(4.0 * 64000.0));
    // Prefill of 4,096 tokens: 2 owners write 64 B × 4,096 each, and the 2 readers read them.
    CHECK(report.prefill.bytes.kv_bytes == doctest::Approx(4.0 * 64.0 * 4096.0));
  }
  SUBCASE("attnsim layers shows the reuse") {
    testing::ScratchDir dir;
    const auto file = dir.write("shared.yaml", shared_yaml());
    const auto text = testing::run({"layers", file.string(), "--full"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("KV shared from layer 1") != std::string::npos);
    CHECK(text.out.find("layers 2, 3 read layer 1's KV cache (and keep none)") !=
          std::string::npos);
    const auto json = testing::run({"layers", file.string(), "--format", "json"});
    CHECK(json.out.find("\"kv_shared_from\": 1") != std::string::npos);
  }
}

TEST_CASE("kv_shared_from: located loader errors") {
  const std::string attn = "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}";
  auto with = [&](const std::string& mixers, const std::string& layers) {
    return architecture_yaml(mixers, layers, 4);
  };
  SUBCASE("the layer read must come earlier") {
    const std::string yaml =
        with(attn, "  mixer: attn\n  overrides:\n    - {layers: [1], kv_shared_from: 2}");
    const std::string message = load_error(yaml);
    CHECK(message.find(fmt::format("test.yaml:{}:", line_of(yaml, "kv_shared_from"))) !=
          std::string::npos);
    CHECK(message.find("layers.overrides[0].kv_shared_from (layer 1)") != std::string::npos);
    CHECK(message.find("an earlier layer than 1") != std::string::npos);
  }
  SUBCASE("past the last layer") {
    CHECK(load_error(with(attn,
                          "  mixer: attn\n  overrides:\n    - {layers: [3], "
                          "kv_shared_from: 4}"))
              .find("below model.n_layers = 4") != std::string::npos);
  }
  SUBCASE("a chain names the owner to read instead") {
    const std::string message =
        load_error(with(attn,
                        "  mixer: attn\n  overrides:\n    - {layers: [2], kv_shared_from: 1}\n"
                        "    - {layers: [3], kv_shared_from: 2}"));
    CHECK(message.find("keeps its own KV cache") != std::string::npos);
    CHECK(message.find("name layer 1 instead") != std::string::npos);
  }
  SUBCASE("the same kind") {
    const std::string message =
        load_error(with(attn + "\n  m: {kind: mamba1, d_inner: 16, state_size: 4, conv_kernel: 4}",
                        "  mixer: {list: [attn, m, attn, attn]}\n  overrides:\n"
                        "    - {layers: [2], kv_shared_from: 1}"));
    CHECK(message.find("a layer of kind softmax_attn") != std::string::npos);
    CHECK(message.find("layer 1 of kind mamba1 (m)") != std::string::npos);
  }
  SUBCASE("the same KV width") {
    const std::string message = load_error(
        with(attn + "\n  wide: {kind: softmax_attn, n_heads: 4, n_kv_heads: 4, head_dim: 8}",
             "  mixer: {list: [attn, wide, attn, attn]}\n  overrides:\n"
             "    - {layers: [2], kv_shared_from: 1}"));
    // attn: 2·(8 + 8) = 32 elements per token; wide: 4·16 = 64
    CHECK(message.find("KV width matches attn's (32 elements per token)") != std::string::npos);
    CHECK(message.find("64 elements per token") != std::string::npos);
  }
  SUBCASE("a windowed owner cannot serve a reader that looks further back") {
    const std::string message = load_error(with(
        attn + "\n  local: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8, window: 6}",
        "  mixer: {list: [attn, local, attn, attn]}\n  overrides:\n"
        "    - {layers: [2], kv_shared_from: 1}"));
    CHECK(message.find("keeps the last 6 tokens") != std::string::npos);
  }
  SUBCASE("a kind that cannot read a shared cache") {
    const std::string message =
        load_error(with("  g: {kind: gated_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}",
                        "  mixer: g\n  overrides:\n    - {layers: [2], kv_shared_from: 1}"));
    CHECK(message.find("can read another layer's KV cache") != std::string::npos);
  }
  SUBCASE("kv_projections needs kv_shared_from and a known value") {
    CHECK(load_error(with(attn,
                          "  mixer: attn\n  overrides:\n    - {layers: [2], "
                          "kv_projections: unused}"))
              .find("only beside kv_shared_from") != std::string::npos);
    CHECK(load_error(with(attn,
                          "  mixer: attn\n  overrides:\n    - {layers: [2], "
                          "kv_shared_from: 1, kv_projections: some}"))
              .find("none or unused") != std::string::npos);
  }
}

TEST_CASE("kv_shared_from: a reading session attends to the owner's cache") {
  // Owner and reader: Hq = 4, Hkv = 2, Dk = Dv = 6, no window; a prefill of 5 tokens, two
  // decode steps. The reader's o must equal plain attention of its q over all owner keys so far.
  using namespace reference;
  const Facet& facet = softmax_attn::facet();
  Binding bound;
  for (const auto& [name, size] : {std::pair{"B", 1}, {"Hq", 4}, {"Hkv", 2}, {"D", 6}, {"Dv", 6}})
    bound.set(name, std::int64_t{size});
  Binding reader_bound = bound;
  reader_bound.set("reads_kv", true);
  SessionOptions owner_options{"", Precision::float64, 0, false, false, true};
  auto owner = facet.open(bound, owner_options);
  auto reader = facet.open(reader_bound, {});
  std::mt19937_64 rng(7);
  Tensor all_k, all_v;
  for (std::int64_t T : {5, 1, 1}) {
    for (const char* axis : {"T", "Tq", "Tk"}) {
      bound.set(axis, T);
      reader_bound.set(axis, T);
    }
    const Tensors owner_inputs =
        random_inputs(facet.signature(bound), bound, {Feed::step, Feed::layer}, rng);
    owner->prefill(owner_inputs);  // prefill and decode are one step for attention
    append_tokens(all_k, owner_inputs.get("k"));
    append_tokens(all_v, owner_inputs.get("v"));
    Tensors reader_inputs =
        random_inputs(facet.signature(reader_bound), reader_bound, {Feed::step}, rng);
    REQUIRE(reader_inputs.find("k") == nullptr);  // a reader draws only queries
    const Tensor q = reader_inputs.get("q");
    const Tensors shared = owner->attended_kv();
    for (const auto& [name, tensor] : shared.floats) reader_inputs.add(name, tensor);
    for (const auto& [name, tensor] : shared.ints) reader_inputs.add(name, tensor);
    const Step step = reader->decode(reader_inputs);
    const auto expected = softmax_attn::run({q, all_k, all_v, {}, {}}, {});
    CHECK(max_abs_diff(step.outputs.get("o"), expected.o) < 1e-12);
  }
  CHECK(reader->kept().empty());
  REQUIRE(owner->kept().size() == 1);
  CHECK(owner->kept()[0].elements == 7 * 2 * (6 + 6));  // 7 tokens × Hkv·(Dk + Dv)
}

TEST_CASE("kv_shared_from: simulate runs the readers on the owner's cache") {
  // Layer 0 sliding (W = 4), layer 1 full, layers 2 and 3 read layer 1: T = 9, 3 decode steps.
  testing::ScratchDir dir;
  const auto file = dir.write(
      "shared.yaml",
      architecture_yaml(
          "  local: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8, window: 4}\n"
          "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}",
          "  mixer: {list: [local, attn, attn, attn]}\n  overrides:\n"
          "    - {layers: [2, 3], kv_shared_from: 1}",
          4));
  sim::SimulateOptions options;
  options.scale = {1, 1};
  options.tokens = 9;
  options.decode_steps = 3;
  const sim::SimulationReport report = sim::simulate(file.string(), options);
  CHECK(report.all_ok());
  auto measured = [&](const std::string& kind, const std::string& quantity) {
    for (const sim::SimRow& row : report.rows)
      if (row.layer_kind == kind && row.quantity == quantity) return row.measured;
    FAIL("no row " << kind << " " << quantity);
    return 0.0;
  };
  // Only layer 1 keeps KV among the full layers: 12 tokens × 32 elements × 2 bytes = 768.
  CHECK(measured("full_attn", "kv bytes") == 768.0);
  // Decode scores of the 3 full layers at L = 10, 11, 12: 2·Hq·Dk·L = 64·L per layer,
  // 64 · 33 = 2,112 per layer; the readers see the owner's 10, 11, 12 keys too.
  CHECK(measured("full_attn", "decode scores") == 3.0 * 2112.0);
}

}  // namespace attnsim
