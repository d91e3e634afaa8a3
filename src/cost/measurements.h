// Operation timings measured on one GPU (configs/hardware/measurements/*.json, written by
// tools/measure_gpu.py) and the time of one operation read from them: interpolated in the
// operation's shape inside the measured range, the roofline with the measured peaks outside it.
//
// Every timing is reduced to the time of one kernel as a CUDA graph replays it (`graph_s` where
// the file has it; otherwise the standalone time less that table's launch overhead, the median of
// standalone − graph over the rows that have both, or else the file's `launch` difference).
// Interpolation is of an efficiency, e = (roofline time with the measured peaks) / (kernel time),
// piecewise linear in the logarithm of each shape coordinate, so that a shape between two
// measured ones inherits their efficiency and is scaled by its own work:
// - GEMM (M, N, K): per measured (N, K) curve linear in log M; between the two curves whose
//   weight size N·K brackets the query's, linear in log N·K; beyond a curve's largest M (16384
//   in the shipped tables) its last efficiency is kept, since large products have saturated.
//   Roofline: max(2MNK / peak, 2(MK + NK + MN) bytes / bandwidth).
// - decode attention: per measured batch B linear in log(KV bytes per sequence), a row beyond
//   its largest measured context keeping its last efficiency (bandwidth has saturated there);
//   linear in log B between rows. Roofline: KV bytes / bandwidth (the time is also at least
//   FLOPs / peak, which matters for MLA's 128 heads on one latent).
// - prefill attention: linear in log FLOPs. Roofline: FLOPs / peak.
// - recurrent state update and elementwise passes: linear in log bytes. Roofline: bytes /
// bandwidth. Outside the measured range: the roofline with the measured peaks plus one in-graph
// launch.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnsim {

struct GemmPoint {
  double m = 0, n = 0, k = 0;
  double seconds = 0;  // one kernel, as a CUDA graph replays it
};
struct DecodeAttentionPoint {
  double batch = 0;
  double kv_bytes_per_sequence = 0;
  double seconds = 0;
};
struct FlopsPoint {  // prefill attention
  double flops = 0;
  double seconds = 0;
};
struct BytesPoint {  // state update (bytes read + written), elementwise pass
  double bytes = 0;
  double seconds = 0;
};

struct GpuMeasurements {
  std::string file;  // as the preset names it
  std::string device, source, software, method;
  double gemm_flops_per_s = 0;       // measured bf16 GEMM peak (an 8192³ product)
  double bandwidth_bytes_per_s = 0;  // measured: the larger of copy (read + write) and read-only
  double graph_launch_seconds = 0;   // one tiny kernel in a CUDA graph
  // Per table ("gemm", "decode_attention", ...): what a standalone time holds beyond the kernel.
  std::map<std::string, double> launch_overhead_seconds;
  std::vector<GemmPoint> gemm;
  std::vector<DecodeAttentionPoint> decode_attention;
  std::vector<FlopsPoint> prefill_attention;
  std::vector<BytesPoint> state_update;
  std::vector<BytesPoint> elementwise;
};

// Reads a measurement file (format in configs/hardware/measurements/README.md); `shown` is the
// name errors cite. Throws UserError for a missing or malformed key.
GpuMeasurements load_measurements(const std::filesystem::path& path, const std::string& shown);

// The time of one kernel and whether it came from the measured tables (false: the roofline with
// the measured peaks, outside the table).
struct OpSeconds {
  double seconds = 0;
  bool measured = false;
};

OpSeconds gemm_seconds(const GpuMeasurements& gpu, double m, double n, double k);
OpSeconds decode_attention_seconds(const GpuMeasurements& gpu, double batch,
                                   double kv_bytes_per_sequence, double flops);
OpSeconds prefill_attention_seconds(const GpuMeasurements& gpu, double flops);
OpSeconds state_update_seconds(const GpuMeasurements& gpu, double bytes_read_plus_write);
OpSeconds elementwise_seconds(const GpuMeasurements& gpu, double bytes);
// Work no table covers (a chunked linear-attention prefill): always the measured-peak roofline.
OpSeconds roofline_seconds(const GpuMeasurements& gpu, double flops, double bytes);

// Piecewise-linear interpolation of y in log x over points sorted by x; nullopt outside
// [first x, last x]. Exposed for tests.
std::optional<double> interpolate_log_x(const std::vector<std::pair<double, double>>& points,
                                        double x);

}  // namespace attnsim
