// Tests of the operation walk (cost/step_time.h): the kernels of a Llama-3-8B step written out by
// hand, and the walk adding up to cost/roofline.h's FLOPs and bytes for dense, sliding-window and
// hybrid models.
#include "cost/step_time.h"

#include <doctest/doctest.h>

#include "graph/load.h"

namespace attnsim {

namespace {
const StepOp& find(const std::vector<StepOp>& ops, const std::string& group,
                   const std::string& name) {
  for (const StepOp& op : ops)
    if (op.group == group && op.name == name) return op;
  FAIL("no op " << group << "/" << name);
  return ops.front();
}

Traffic summed(const std::vector<StepOp>& ops, double& flops) {
  Traffic bytes;
  flops = 0.0;
  for (const StepOp& op : ops) {
    flops += op.count * op.flops;
    bytes.weight_bytes += op.count * op.bytes.weight_bytes;
    bytes.kv_bytes += op.count * op.bytes.kv_bytes;
    bytes.state_bytes += op.count * op.bytes.state_bytes;
    bytes.activation_bytes += op.count * op.bytes.activation_bytes;
  }
  return bytes;
}
}  // namespace

TEST_CASE("decode_ops") {
  // Llama-3-8B (architectures/llama-3-8b.yaml): D = 4096, 32 heads, 8 KV heads of 128, SwiGLU
  // FFN 14336, vocab 128256, 32 layers, bf16.
  const Architecture llama = load_architecture("llama-3-8b");
  RooflineOptions options;
  options.batch = 4;
  options.context = 4096;
  SUBCASE("tp = 1: every matrix a GEMM of its real shape, 4 rows each") {
    const auto ops = decode_ops(llama, options);
    const StepOp& qkv = find(ops, "full_attn", "qkv");
    CHECK(qkv.kind == OpKind::gemm);
    CHECK(qkv.count == 32);
    CHECK(qkv.m == 4);
    CHECK(qkv.n == 32 * 128 + 2 * 8 * 128);  // 6144
    CHECK(qkv.k == 4096);
    const StepOp& o = find(ops, "full_attn", "o");
    CHECK((o.n == 4096 && o.k == 4096));
    const StepOp& up = find(ops, "ffn", "up");
    CHECK((up.n == 2 * 14336 && up.k == 4096));  // gate and up fused
    const StepOp& down = find(ops, "ffn", "down");
    CHECK((down.n == 4096 && down.k == 14336));
    const StepOp& head = find(ops, "model", "lm_head");
    CHECK((head.count == 1 && head.n == 128256 && head.k == 4096));
    // Attention reads K and V of 4 sequences: 4 · 2 · 8 · 128 · 4096 tokens · 2 bytes per layer.
    const StepOp& attention = find(ops, "full_attn", "attention");
    CHECK(attention.kind == OpKind::decode_attention);
    CHECK(attention.bytes.kv_bytes == 4.0 * 2 * 8 * 128 * 4096 * 2);
    CHECK(attention.batch == 4);
    // SwiGLU's activation and product read gate and up and write the result: 4 rows · 3 · 14336
    // values · 2 bytes, over two kernels per layer.
    const StepOp& activation = find(ops, "ffn", "activation");
    CHECK(activation.count == 32 * 2);
    CHECK(activation.extra_bytes == 4.0 * 3 * 14336 * 2 / 2);
    // RoPE: five kernels each on q and k, in every one of the 32 layers.
    CHECK(find(ops, "full_attn", "rope").count == 32 * 10);
  }
  SUBCASE("tp = 4: column-parallel matrices split their outputs, row-parallel their inputs") {
    options.tp = 4;
    const auto ops = decode_ops(llama, options);
    CHECK(find(ops, "full_attn", "qkv").n == 6144 / 4);
    CHECK(find(ops, "full_attn", "o").k == 4096 / 4);
    CHECK(find(ops, "ffn", "down").k == 14336 / 4);
    // 8 KV heads over 4 ranks: 2 per rank.
    CHECK(find(ops, "full_attn", "attention").bytes.kv_bytes == 4.0 * 2 * 2 * 128 * 4096 * 2);
  }
}

TEST_CASE("decode_ops and prefill_ops add up to the roofline's FLOPs and bytes") {
  // Dense GQA, 5:1 sliding-window : global (MLP, tied embeddings), and a Gated DeltaNet : gated
  // attention hybrid with a 512-expert MoE.
  for (const std::string name : {"llama-3-8b", "gemma-3-27b", "qwen3-next-80b-a3b"}) {
    for (const std::uint64_t tp : {1, 2}) {
      CAPTURE(name);
      CAPTURE(tp);
      const Architecture architecture = load_architecture(name);
      RooflineOptions options;
      options.tp = tp;
      options.batch = 8;
      options.context = 32768;
      options.prefill_tokens = 2048;
      Hardware spec_only;  // no measurements: the roofline's own sums
      spec_only.peak_flops_per_s["bf16"] = 1e15;
      spec_only.memory_bandwidth_bytes_per_s = 1e12;
      const RooflineReport roofline_report = roofline(architecture, spec_only, options);
      for (const auto& [ops, phase] :
           {std::pair{decode_ops(architecture, options), &roofline_report.decode},
            std::pair{prefill_ops(architecture, options), &roofline_report.prefill}}) {
        double flops = 0.0;
        const Traffic bytes = summed(ops, flops);
        CHECK(flops == doctest::Approx(phase->flops).epsilon(1e-9));
        CHECK(bytes.weight_bytes == doctest::Approx(phase->bytes.weight_bytes).epsilon(1e-9));
        CHECK(bytes.kv_bytes == doctest::Approx(phase->bytes.kv_bytes).epsilon(1e-9));
        CHECK(bytes.state_bytes == doctest::Approx(phase->bytes.state_bytes).epsilon(1e-9));
        CHECK(bytes.activation_bytes ==
              doctest::Approx(phase->bytes.activation_bytes).epsilon(1e-9));
        // The matrices account for the weights: what is left (norms, conv, gates, biases) is
        // under 1% of them.
        const StepOp& other = find(ops, "model", "other_weights");
        CHECK(other.bytes.weight_bytes < 0.01 * phase->bytes.weight_bytes);
      }
    }
  }
}

}  // namespace attnsim
