// The measured time model: one decode step and one prefill as the kernels a GPU runs, each timed
// from the preset's measured table (cost/measurements.h), summed.
//
// The walk (per tensor-parallel rank; `tokens` = B in decode, B·T in prefill):
// - every mixer projection a GEMM of its real shape (Mixer::projection_shapes; a column-parallel
//   matrix splits its outputs over the ranks, a row-parallel one its inputs); every FFN matrix a
//   GEMM (gate and up fused, then down); routed experts as one GEMM pair per touched expert, each
//   with tokens·k/touched rows (touched: cost/roofline.h's expectation); the lm head a GEMM.
// - attention: decode reads each layer's KV (decode-attention table, by batch and KV bytes per
//   sequence); prefill runs the mixer's core FLOPs (prefill-attention table, by FLOPs) and writes
//   the KV. Linear-attention/SSM layers read and write their recurrent and conv state once per
//   decode step — a floor of 2·state bytes timed from the state-update table, whatever the
//   kernel; their chunked prefill has no table and is timed by the roofline at measured peaks.
// - elementwise kernels, as a plain (eager-style) PyTorch step launches them: per block a
//   pre-norm (the roofline's 4·D activation bytes per token) and a residual add (6·D); per FFN
//   its activation and the product with up (read 2W, write W in all, for a gated FFN); per
//   KV-caching layer RoPE (five kernels each on q and k: x·cos + rotate_half(x)·sin), the K and V
//   cache writes and the copy of the attention output back to token-major. The embedding
//   lookup, and the weights outside matrices (norms, conv, gates, biases), are one kernel each.
//   A serving engine fuses most of these; in a decode step each costs about one in-graph launch.
// FLOPs and the roofline's byte categories (weights, KV, state, activations) add up to
// cost/roofline.h's; passes beyond its activation model carry `extra_bytes` (timed, not summed
// there). Communication between ranks is not modelled. Every kernel runs as in a CUDA graph
// (no host launch gaps): serving engines capture decode; a prefill's kernels are long enough.
#pragma once

#include <string>
#include <vector>

#include "cost/measurements.h"
#include "cost/roofline.h"

namespace attnsim {

enum class OpKind { gemm, decode_attention, prefill_attention, state_update, scan, elementwise };
std::string_view op_kind_name(OpKind kind);

struct StepOp {
  OpKind kind = OpKind::gemm;
  std::string group;           // layer kind, "ffn" or "model"
  std::string name;            // "qkv", "o", "attention", "state", "up", "down", "norm", ...
  double count = 1;            // identical kernels in the step (layers × touched experts)
  double m = 0, n = 0, k = 0;  // a GEMM's shape on this rank
  double batch = 0;            // decode attention: sequences
  double flops = 0;            // one kernel, this rank
  Traffic bytes;               // one kernel, this rank, in the roofline's categories
  double extra_bytes = 0;      // traffic the roofline's activation model does not count
  double seconds = 0;          // one kernel (set by time_step)
  bool measured = false;       // from a table (false: roofline at measured peaks)
};

struct StepTime {
  std::vector<StepOp> ops;
  double seconds = 0;
  double unmeasured_seconds = 0;  // of `seconds`, ops outside the tables
  double flops = 0;               // Σ count · flops
  Traffic bytes;                  // Σ count · bytes
};

// The kernels of one decode step (B sequences at context L) and of one prefill (B sequences of
// T tokens), untimed.
std::vector<StepOp> decode_ops(const Architecture& architecture, const RooflineOptions& options);
std::vector<StepOp> prefill_ops(const Architecture& architecture, const RooflineOptions& options);
// Times each op from the measurements and sums.
StepTime time_step(std::vector<StepOp> ops, const GpuMeasurements& gpu);

}  // namespace attnsim
