// Gemma 3n E4B (architectures/gemma-3n-e4b.yaml): KV sharing of the last 15 layers, and the
// per-layer embeddings, AltUp and LAuReL weights (model.per_layer_embeddings, altup_inputs,
// laurel_rank) against hand arithmetic from transformers' Gemma3nTextModel and a published figure.
#include <doctest/doctest.h>

#include <string>

#include "cost/flops.h"
#include "cost/hardware.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "cost/step_time.h"
#include "graph/load.h"
#include "import/hf_tensor_names.h"
#include "tests/support.h"

namespace attnsim {

using testing::load_error;

namespace {
std::uint64_t group_total(const ParamReport& report, std::string_view group) {
  std::uint64_t sum = 0;
  for (const ParamRow& row : report.rows)
    if (row.group == group) sum += row.total;
  return sum;
}

std::uint64_t component_total(const ParamReport& report, std::string_view component) {
  for (const ParamRow& row : report.rows)
    if (row.component == component) return row.total;
  FAIL("no row ", component);
  return 0;
}

}  // namespace

TEST_CASE("kv_memory: gemma-3n-e4b keeps KV in its first 20 layers only") {
  const Architecture arch = load_architecture("gemma-3n-e4b");
  SUBCASE("the last 15 layers read layer 18 (sliding) or 19 (global)") {
    // Gemma3nTextAttention.kv_shared_layer_index: the last layer of the reader's own type below
    // 35 − 15 = 20; layers 4, 9, 14, 19, ... are global ((i + 1) % 5 == 0).
    for (std::size_t i = 0; i < 20; ++i) CHECK(!arch.layers[i].kv_shared_from);
    for (std::size_t i = 20; i < 35; ++i)
      CHECK(arch.layers[i].kv_shared_from == ((i + 1) % 5 == 0 ? 19u : 18u));
  }
  SUBCASE("bytes per token and at contexts") {
    // One layer: Hkv·(Dk + Dv) = 2·512 = 1,024 elements × 2 bytes = 2,048 B per token.
    // 20 owners × 2,048 = 40,960 B per token before windows.
    const MemoryReport report = kv_memory(arch, {100, 32768}, 1);
    CHECK(report.kv_bytes_per_token == 40'960);
    // L = 100 is inside the window: 20 × 100 × 2,048 = 4,096,000.
    CHECK(report.rows[0].kv_bytes == 4'096'000);
    // L = 32,768: 16 sliding owners × 512 × 2,048 = 16,777,216 and 4 global owners
    // × 32,768 × 2,048 = 268,435,456; sum 285,212,672.
    CHECK(report.rows[1].kv_bytes == 285'212'672);
  }
}

TEST_CASE("model_params: gemma-3n-e4b's per-layer embeddings, AltUp and LAuReL") {
  const Architecture arch = load_architecture("gemma-3n-e4b");
  const ParamReport report = model_params(arch);
  // D = 2048, n = 35 layers, PLE w = 256 from a 262,144-row table, K = 4 AltUp streams, r = 64.
  SUBCASE("per-layer embeddings") {
    // Table 262,144 × 35·256 = 262,144 × 8,960 = 2,348,810,240 (a lookup: not active).
    CHECK(component_total(report, kPerLayerEmbeddingTable) == 2'348'810'240ULL);
    // per_layer_model_projection 2,048 × 8,960 = 18,350,080; projection norm 256; per layer
    // gate 2,048·256 + projection 256·2,048 = 1,048,576, × 35 = 36,700,160; norms 35 × 2,048.
    CHECK(component_total(report, "model projection") == 18'350'080);
    CHECK(component_total(report, "layer gates and projections") == 36'700'160);
    CHECK(group_total(report, kPerLayerEmbeddings) ==
          2'348'810'240ULL + 18'350'080 + 256 + 36'700'160 + 35 * 2'048);
  }
  SUBCASE("AltUp") {
    // altup_projections + altup_unembed_projections: 2 × 3 × 2,048² = 25,165,824. Per layer:
    // modality_router 2,048·4 = 8,192, correction_coefs 4·4 = 16, prediction_coefs 4·16 = 64,
    // correct_output_scale 2,048, router_norm 2,048: 12,368 × 35 = 432,880.
    CHECK(component_total(report, "stream projections") == 25'165'824);
    CHECK(group_total(report, kAltUp) == 25'165'824 + 432'880);
  }
  SUBCASE("LAuReL") {
    // linear_left 2,048·64 + linear_right 64·2,048 = 262,144 and post_laurel_norm 2,048:
    // 264,192 × 35 = 9,246,720.
    CHECK(group_total(report, kLaurel) == 9'246'720);
  }
  SUBCASE("the whole text decoder") {
    // embed_tokens 262,400 × 2,048 = 537,395,200 (tied with the lm head). One layer:
    //   attention q 2,048·2,048 + k, v 2 × 2,048·512 + o 2,048·2,048 + q_norm, k_norm 2 × 256
    //     = 10,486,272; MLP 3 × 2,048·16,384 = 100,663,296; four layer norms 8,192;
    //   AltUp 12,368; LAuReL 264,192; PLE gate, projection, norm 1,050,624 → 112,484,944.
    // 35 layers 3,936,973,040 + embeddings 537,395,200 + PLE table 2,348,810,240 + PLE model
    // projection and norm 18,350,336 + AltUp projections 25,165,824 + final norm 2,048
    // = 6,866,696,688.
    CHECK(report.total == 6'866'696'688ULL);
    // Google's "effective parameters" leave out both embedding tables:
    // 6,866,696,688 − 537,395,200 − 2,348,810,240 = 3,980,491,248, published as 3.98B for the
    // main E4B model (google/gemma3n-slicing-configs, "# Effective Params (B)").
    const std::uint64_t effective = report.total - 537'395'200ULL - 2'348'810'240ULL;
    CHECK(effective == 3'980'491'248ULL);
    CHECK(static_cast<double>(effective) / 1e9 == doctest::Approx(3.98).epsilon(0.005 / 3.98));
    // Active: no lookup table, and the 15 readers' k/v projections and k norms are stored but
    // never run: 15 × (2 × 2,048·512 + 256) = 31,461,120. 6,866,696,688 − 2,348,810,240
    // − 31,461,120 = 4,486,425,328 (the tied table counts as the lm head).
    CHECK(report.active == 4'486'425'328ULL);
    CHECK(report.active_with_embeddings == 4'486'425'328ULL + 2'348'810'240ULL);
  }
  SUBCASE("transformers' tensor names add up to the total") {
    std::uint64_t sum = 0;
    std::uint64_t ple_table = 0;
    std::uint64_t prediction_coefs = 0;
    for (const import::NamedTensor& tensor : import::transformers_tensors(arch)) {
      sum += tensor.elements;
      if (tensor.name == "model.embed_tokens_per_layer.weight") ple_table = tensor.elements;
      if (tensor.name == "model.layers.*.altup.prediction_coefs.weight") {
        prediction_coefs = tensor.elements;
        CHECK(tensor.layers == 35);
      }
    }
    CHECK(sum == report.total);
    CHECK(ple_table == 2'348'810'240ULL);
    CHECK(prediction_coefs == 35 * 64);
  }
  SUBCASE("a decode step reads one row of each embedding table per token") {
    // Everything but the PLE table, plus one of its rows (35·256 = 8,960) and one row of the
    // tied input table (2,048): 6,866,696,688 − 2,348,810,240 + 8,960 + 2,048.
    CHECK(weight_params_read(arch, 1.0) == doctest::Approx(4'517'897'456.0));
  }
}

TEST_CASE("model_flops: gemma-3n-e4b's per-layer embeddings, AltUp and LAuReL per token") {
  const FlopReport report = model_flops(load_architecture("gemma-3n-e4b"), 10, 100, {});
  auto row_of = [&](std::string_view group) {
    for (const FlopRow& row : report.rows)
      if (row.group == group) return row;
    FAIL("no row ", group);
    return FlopRow{};
  };
  // D = 2048, 35 layers, w = 256, K = 4, r = 64; 2 FLOPs per weight of each matmul.
  // PLE: model projection 2·2,048·8,960 = 36,700,160 + 35 × 2·(2,048·256 + 256·2,048)
  // = 73,400,320.
  CHECK(row_of(kPerLayerEmbeddings).decode == doctest::Approx(110'100'480.0));
  CHECK(row_of(kPerLayerEmbeddings).prefill == doctest::Approx(10 * 110'100'480.0));
  // AltUp: stream projections 2 × 2·3·2,048² = 50,331,648; per layer the router twice
  // 2 × 2·2,048·4 = 32,768, prediction coefs 2·4·16 = 128, correction coefs 2·4·4 = 32,
  // predict 2·2,048·16 = 65,536, correct 2·2,048·4 = 16,384: 114,848 × 35 = 4,019,680.
  CHECK(row_of(kAltUp).decode == doctest::Approx(50'331'648.0 + 4'019'680.0));
  // LAuReL: 35 × 2·(2,048·64 + 64·2,048) = 18,350,080.
  CHECK(row_of(kLaurel).decode == doctest::Approx(18'350'080.0));
}

TEST_CASE("decode_ops: gemma-3n-e4b's per-layer embeddings, AltUp and LAuReL as kernels") {
  // D = 2048, 35 layers, w = 256, K = 4, r = 64, vocab_size_per_layer_input 262,144, bf16
  // weights; a decode step of 4 sequences: every GEMM has 4 rows.
  const Architecture arch = load_architecture("gemma-3n-e4b");
  RooflineOptions options;
  options.batch = 4;
  options.context = 4096;
  auto find = [](const std::vector<StepOp>& ops, std::string_view group, std::string_view name) {
    for (const StepOp& op : ops)
      if (op.group == group && op.name == name) return op;
    FAIL("no op ", group, "/", name);
    return StepOp{};
  };
  struct Gemm {
    std::string_view group, name;
    double count, n, k;
  };
  SUBCASE("tp = 1: each product a GEMM of transformers' shape") {
    const std::vector<StepOp> ops = decode_ops(arch, options);
    for (const Gemm& expected : {
             Gemm{kPerLayerEmbeddings, "per_layer_model_projection", 1, 35 * 256, 2048},
             Gemm{kPerLayerEmbeddings, "per_layer_input_gate", 35, 256, 2048},
             Gemm{kPerLayerEmbeddings, "per_layer_projection", 35, 2048, 256},
             Gemm{kAltUp, "altup_projections", 3, 2048, 2048},
             Gemm{kAltUp, "altup_unembed_projections", 3, 2048, 2048},
             Gemm{kAltUp, "modality_router", 2 * 35, 4, 2048},  // predict and correct
             Gemm{kAltUp, "prediction_coefs", 35, 16, 4},
             Gemm{kAltUp, "correction_coefs", 35, 4, 4},
             Gemm{kLaurel, "linear_left", 35, 64, 2048},
             Gemm{kLaurel, "linear_right", 35, 2048, 64},
         }) {
      CAPTURE(expected.name);
      const StepOp op = find(ops, expected.group, expected.name);
      CHECK(op.kind == OpKind::gemm);
      CHECK(op.count == expected.count);
      CHECK(op.m == 4);
      CHECK(op.n == expected.n);
      CHECK(op.k == expected.k);
      CHECK(op.bytes.weight_bytes == expected.n * expected.k * 2);
    }
    // AltUp's stream mixing per layer on 4 tokens: predict 4 · 2·2,048·4² = 262,144 FLOPs,
    // correct 4 · 2·2,048·4 = 65,536; each reads and writes the 4 streams of 2,048 in bf16:
    // 4 tokens · 4·2,048 values · 2 (read and write) · 2 bytes = 131,072 bytes.
    const StepOp predict = find(ops, kAltUp, "predict");
    CHECK(predict.kind == OpKind::elementwise);
    CHECK(predict.count == 35);
    CHECK(predict.flops == 262'144.0);
    CHECK(predict.extra_bytes == 131'072.0);
    const StepOp correct = find(ops, kAltUp, "correct");
    CHECK(correct.flops == 65'536.0);
    CHECK(correct.extra_bytes == 131'072.0);
    // The per-layer table: one row of 35·256 per token, 4 · 8,960 · 2 bytes = 71,680.
    CHECK(find(ops, kPerLayerEmbeddings, "lookup").bytes.weight_bytes == 71'680.0);
  }
  SUBCASE("tp = 2: the products split their outputs over the ranks") {
    options.tp = 2;
    const std::vector<StepOp> ops = decode_ops(arch, options);
    CHECK(find(ops, kPerLayerEmbeddings, "per_layer_input_gate").n == 128);
    CHECK(find(ops, kLaurel, "linear_right").n == 1024);
    CHECK(find(ops, kAltUp, "predict").flops == 262'144.0 / 2);
  }
  SUBCASE("the measured H200 step times every one of them") {
    const Hardware h200 = load_hardware("h200");
    REQUIRE(h200.measurements);
    const StepTime step = time_step(decode_ops(arch, options), *h200.measurements);
    // Decode FLOPs of the three groups on 4 tokens (model_flops' test above): 4 × (110,100,480
    // + 54,351,328 + 18,350,080) = 731,207,552, all in the walked step.
    double extra_flops = 0.0;
    double extra_seconds = 0.0;
    for (const StepOp& op : step.ops)
      if (op.group == kPerLayerEmbeddings || op.group == kAltUp || op.group == kLaurel) {
        CAPTURE(op.name);
        extra_flops += op.count * op.flops;
        extra_seconds += op.count * op.seconds;
        CHECK(op.seconds > 0.0);
        // The preset's GEMM table spans N·K from 1,024·4,096 = 4,194,304 weights up: the model
        // projection (8,960·2,048) and the stream projections (2,048²) are in it; the per-layer
        // products (256·2,048 and smaller) fall below and are timed by the roofline at measured
        // peaks plus a launch, counted in unmeasured_seconds.
        if (op.kind == OpKind::gemm) CHECK(op.measured == (op.n * op.k >= 4'194'304.0));
      }
    CHECK(extra_flops == doctest::Approx(731'207'552.0));
    CHECK(extra_seconds < step.seconds);
  }
  SUBCASE("the walk adds up to the roofline's FLOPs and weight bytes") {
    Hardware spec_only;  // no measurements: the roofline's own sums
    spec_only.peak_flops_per_s["bf16"] = 1e15;
    spec_only.memory_bandwidth_bytes_per_s = 1e12;
    options.prefill_tokens = 512;
    const RooflineReport roofline_report = roofline(arch, spec_only, options);
    for (const auto& [ops, phase] :
         {std::pair{decode_ops(arch, options), &roofline_report.decode},
          std::pair{prefill_ops(arch, options), &roofline_report.prefill}}) {
      double flops = 0.0;
      double weight_bytes = 0.0;
      for (const StepOp& op : ops) {
        flops += op.count * op.flops;
        weight_bytes += op.count * op.bytes.weight_bytes;
      }
      CHECK(flops == doctest::Approx(phase->flops).epsilon(1e-9));
      CHECK(weight_bytes == doctest::Approx(phase->bytes.weight_bytes).epsilon(1e-9));
    }
  }
}

TEST_CASE("roofline: gemma-3n-e4b's kv-shared layers read the owner's KV in prefill too") {
  const Architecture arch = load_architecture("gemma-3n-e4b");
  Hardware spec_only;  // no measurements: the roofline's own sums
  spec_only.peak_flops_per_s["bf16"] = 1e15;
  spec_only.memory_bandwidth_bytes_per_s = 1e12;
  RooflineOptions options;
  options.batch = 2;
  options.context = 4096;
  options.prefill_tokens = 4096;
  const RooflineReport report = roofline(arch, spec_only, options);
  // A layer's KV: 2 kv heads × 256 × (k + v) × 2 bytes = 2,048 B per token. Owners 0–19: 16
  // sliding keep 512 tokens, 4 global 4,096: 16·512·2,048 + 4·4,096·2,048 = 16,777,216
  // + 33,554,432 = 50,331,648 B written per sequence. Readers 20–34: 12 read layer 18's
  // 512-token window, 3 read layer 19's 4,096 tokens: 12·512·2,048 + 3·4,096·2,048
  // = 12,582,912 + 25,165,824 = 37,748,736 B. Both × 2 sequences.
  CHECK(report.prefill.bytes.kv_bytes == 2.0 * (50'331'648 + 37'748'736));
  // Decode at L = 4,096 reads the same caches (each reader its owner's): the same bytes.
  CHECK(report.decode.bytes.kv_bytes == 2.0 * (50'331'648 + 37'748'736));
  // The measured step time's walk charges each attention the same KV, owners and readers.
  for (const auto& [ops, phase] : {std::pair{decode_ops(arch, options), &report.decode},
                                   std::pair{prefill_ops(arch, options), &report.prefill}}) {
    double kv_bytes = 0.0;
    for (const StepOp& op : ops)
      if (op.name == "attention") kv_bytes += op.count * op.bytes.kv_bytes;
    CHECK(kv_bytes == doctest::Approx(phase->bytes.kv_bytes).epsilon(1e-12));
  }
}

TEST_CASE("params text: the total with the lookups names both embedding tables") {
  // active 4,486,425,328 + the per-layer table 2,348,810,240 = 6,835,235,568 (the tied input
  // table already counts as the lm head).
  const auto result = testing::run({"params", "gemma-3n-e4b"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("4.486 B active (6.835 B with the input embedding table and the "
                        "per-layer embedding table)") != std::string::npos);
  // A model without them names the input table alone; GPT-2 adds its learned positions.
  CHECK(testing::run({"params", "llama-3-8b"}).out.find("B with the input embedding table);") !=
        std::string::npos);
  CHECK(testing::run({"params", "gpt-2"})
            .out.find("B with the input embedding table and the position embeddings);") !=
        std::string::npos);
}

TEST_CASE("read_dims: per_layer_embeddings, altup_inputs, laurel_rank") {
  const std::string mixers = "  attn: {kind: softmax_attn, n_heads: 4, n_kv_heads: 2, head_dim: 8}";
  auto with_model_keys = [&](const std::string& keys) {
    std::string yaml = testing::architecture_yaml(mixers, "  mixer: attn", 2);
    const std::size_t at = yaml.find("  n_layers:");
    REQUIRE(at != std::string::npos);
    return yaml.insert(at, keys);
  };
  SUBCASE("a small model, by hand") {
    // D = 512, 2 layers, PLE w = 4 over 10 rows, K = 2, r = 3.
    const ParamReport report = model_params(testing::load_text(
        with_model_keys("  per_layer_embeddings: {vocab_size: 10, width: 4}\n  altup_inputs: 2\n"
                        "  laurel_rank: 3\n")));
    // table 10 × 2·4 = 80; model projection 512·8 = 4,096; norm 4; per layer 2·512·4 + 512
    // = 4,608, × 2 = 9,216.
    CHECK(group_total(report, kPerLayerEmbeddings) == 80 + 4'096 + 4 + 9'216);
    // projections 2 × 1 × 512² = 524,288; per layer 512·2 + 4 + 8 + 512 + 512 = 2,060, × 2.
    CHECK(group_total(report, kAltUp) == 524'288 + 4'120);
    // per layer 2 × 512·3 + 512 = 3,584, × 2.
    CHECK(group_total(report, kLaurel) == 7'168);
  }
  SUBCASE("mistakes") {
    CHECK(load_error(with_model_keys("  altup_inputs: 1\n")).find("at least 2 streams") !=
          std::string::npos);
    CHECK(load_error(with_model_keys("  per_layer_embeddings: {vocab_size: 10, widht: 4}\n"))
              .find("width") != std::string::npos);
  }
}

}  // namespace attnsim
