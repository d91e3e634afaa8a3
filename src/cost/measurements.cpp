// Reading measurement files and the per-operation interpolation (the model is in measurements.h).
#include "cost/measurements.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace attnsim {

namespace {
using json = nlohmann::json;

struct Reader {
  std::string shown;

  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const std::string& found) const {
    throw UserError({shown, 0, 0}, key, expected, found);
  }
  const json& field(const json& object, const std::string& key, const std::string& path) const {
    if (!object.is_object() || !object.contains(key)) fail(path + key, "a value", "none");
    return object.at(key);
  }
  double positive(const json& object, const std::string& key, const std::string& path) const {
    const json& value = field(object, key, path);
    if (!value.is_number() || !(value.get<double>() > 0.0) || !std::isfinite(value.get<double>()))
      fail(path + key, "a positive number", value.dump());
    return value.get<double>();
  }
  std::optional<double> optional_positive(const json& object, const std::string& key,
                                          const std::string& path) const {
    if (!object.contains(key)) return std::nullopt;
    return positive(object, key, path);
  }
  std::string text(const json& object, const std::string& key) const {
    const json& value = field(object, key, "");
    if (!value.is_string()) fail(key, "a string", value.dump());
    return value.get<std::string>();
  }
  const json& rows(const json& root, const std::string& key) const {
    const json& value = field(root, key, "");
    if (!value.is_array() || value.empty())
      fail(key, "a non-empty list of measurements", value.dump());
    return value;
  }
};

// Standalone minus graph time over the rows that have both (the launch a standalone time holds).
template <typename Row>
double median_overhead(const std::vector<Row>& rows, double fallback) {
  std::vector<double> gaps;
  for (const auto& [standalone, graph] : rows)
    if (graph) gaps.push_back(standalone - *graph);
  if (gaps.empty()) return fallback;
  std::sort(gaps.begin(), gaps.end());
  return gaps[gaps.size() / 2];
}

// Kernel seconds of each row: its graph time, or its standalone time less the table's overhead.
std::vector<double> kernel_seconds(const json& rows, const Reader& reader, const std::string& key,
                                   double fallback_overhead, GpuMeasurements& gpu) {
  std::vector<std::pair<double, std::optional<double>>> times;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string path = fmt::format("{}[{}].", key, i);
    times.emplace_back(reader.positive(rows[i], "s", path),
                       reader.optional_positive(rows[i], "graph_s", path));
  }
  const double overhead = median_overhead(times, fallback_overhead);
  gpu.launch_overhead_seconds[key] = overhead;
  std::vector<double> kernel;
  for (const auto& [standalone, graph] : times)
    kernel.push_back(graph ? *graph : std::max(standalone - overhead, 0.5 * standalone));
  return kernel;
}

double lerp_log(double x, double x0, double x1, double y0, double y1) {
  if (x1 == x0) return y0;
  const double t = (std::log(x) - std::log(x0)) / (std::log(x1) - std::log(x0));
  return y0 + t * (y1 - y0);
}

// Efficiency curves keyed by a coordinate; `lookup` interpolates between the two bracketing
// curves (linear in log key) the values each curve gives at the query.
template <typename Curve, typename AtCurve>
std::optional<double> between_curves(const std::map<double, Curve>& curves, double key,
                                     AtCurve at_curve) {
  if (curves.empty() || key < curves.begin()->first || key > curves.rbegin()->first)
    return std::nullopt;
  auto hi = curves.lower_bound(key);
  if (hi->first == key) return at_curve(hi->second);
  auto lo = std::prev(hi);
  const auto e0 = at_curve(lo->second);
  const auto e1 = at_curve(hi->second);
  if (!e0 || !e1) return std::nullopt;
  return lerp_log(key, lo->first, hi->first, *e0, *e1);
}

using Points = std::vector<std::pair<double, double>>;

OpSeconds from_efficiency(const GpuMeasurements& gpu, double roofline, std::optional<double> e) {
  if (e && *e > 0.0) return {roofline / *e, true};
  return {roofline + gpu.graph_launch_seconds, false};
}

Points sorted(Points points) {
  std::sort(points.begin(), points.end());
  return points;
}

double gemm_roofline(const GpuMeasurements& gpu, double m, double n, double k) {
  const double bytes = 2.0 * (m * k + n * k + m * n);
  return std::max(2.0 * m * n * k / gpu.gemm_flops_per_s, bytes / gpu.bandwidth_bytes_per_s);
}
}  // namespace

std::optional<double> interpolate_log_x(const Points& points, double x) {
  if (points.empty() || x < points.front().first || x > points.back().first) return std::nullopt;
  auto hi = std::lower_bound(points.begin(), points.end(), x,
                             [](const auto& point, double value) { return point.first < value; });
  if (hi->first == x) return hi->second;
  auto lo = std::prev(hi);
  return lerp_log(x, lo->first, hi->first, lo->second, hi->second);
}

GpuMeasurements load_measurements(const std::filesystem::path& path, const std::string& shown) {
  std::ifstream in(path);
  if (!in) throw UserError({shown, 0, 0}, "measurements", "a readable measurement file", "none");
  const Reader reader{shown};
  json root;
  try {
    root = json::parse(in);
  } catch (const json::parse_error& error) {
    throw UserError({shown, 0, 0}, "", "a JSON measurement file", error.what());
  }
  GpuMeasurements gpu;
  gpu.file = shown;
  gpu.device = reader.text(root, "device");
  gpu.source = reader.text(root, "source");
  gpu.software = reader.text(root, "software");
  gpu.method = reader.text(root, "method");
  const json& peaks = reader.field(root, "peaks", "");
  gpu.gemm_flops_per_s = reader.positive(peaks, "gemm_bf16_tflops", "peaks.") * 1e12;
  gpu.bandwidth_bytes_per_s = std::max(reader.positive(peaks, "copy_gb_per_s", "peaks."),
                                       reader.positive(peaks, "read_gb_per_s", "peaks.")) *
                              1e9;
  const json& launch = reader.field(root, "launch", "");
  const double standalone = reader.positive(launch, "standalone_s", "launch.");
  gpu.graph_launch_seconds = reader.positive(launch, "graph_s", "launch.");
  const double overhead = std::max(standalone - gpu.graph_launch_seconds, 0.0);

  const json& gemm = reader.rows(root, "gemm");
  const auto gemm_s = kernel_seconds(gemm, reader, "gemm", overhead, gpu);
  for (std::size_t i = 0; i < gemm.size(); ++i) {
    const std::string p = fmt::format("gemm[{}].", i);
    gpu.gemm.push_back({reader.positive(gemm[i], "M", p), reader.positive(gemm[i], "N", p),
                        reader.positive(gemm[i], "K", p), gemm_s[i]});
  }
  const json& decode = reader.rows(root, "decode_attention");
  const auto decode_s = kernel_seconds(decode, reader, "decode_attention", overhead, gpu);
  for (std::size_t i = 0; i < decode.size(); ++i) {
    const std::string p = fmt::format("decode_attention[{}].", i);
    const double kv_bytes = 2.0 * reader.positive(decode[i], "KV", p) *
                            reader.positive(decode[i], "L", p) *
                            reader.positive(decode[i], "d", p) * 2.0;  // K and V, bf16
    gpu.decode_attention.push_back({reader.positive(decode[i], "B", p), kv_bytes, decode_s[i]});
  }
  const json& prefill = reader.rows(root, "prefill_attention");
  const auto prefill_s = kernel_seconds(prefill, reader, "prefill_attention", overhead, gpu);
  for (std::size_t i = 0; i < prefill.size(); ++i) {
    const std::string p = fmt::format("prefill_attention[{}].", i);
    const double T = reader.positive(prefill[i], "T", p);
    // QKᵀ and PV over the T(T+1)/2 causal pairs: 2·H·(Dk + Dv) FLOPs per pair, Dk = Dv = d.
    const double flops = 4.0 * reader.positive(prefill[i], "H", p) *
                         reader.positive(prefill[i], "d", p) * T * (T + 1.0) / 2.0;
    gpu.prefill_attention.push_back({flops, prefill_s[i]});
  }
  for (const auto& [key, table] :
       {std::pair{"state_update", &gpu.state_update}, std::pair{"elementwise", &gpu.elementwise}}) {
    const json& rows = reader.rows(root, key);
    const auto seconds = kernel_seconds(rows, reader, key, overhead, gpu);
    const std::string bytes_key =
        std::string(key) == "state_update" ? "bytes_read_plus_write" : "bytes";
    for (std::size_t i = 0; i < rows.size(); ++i)
      table->push_back(
          {reader.positive(rows[i], bytes_key, fmt::format("{}[{}].", key, i)), seconds[i]});
  }
  return gpu;
}

OpSeconds gemm_seconds(const GpuMeasurements& gpu, double m, double n, double k) {
  std::map<double, Points> curves;  // N·K → (M, efficiency)
  for (const GemmPoint& point : gpu.gemm)
    curves[point.n * point.k].emplace_back(
        point.m, gemm_roofline(gpu, point.m, point.n, point.k) / point.seconds);
  for (auto& [key, points] : curves) points = sorted(std::move(points));
  // Beyond a curve's largest M the product is compute-bound and its efficiency has saturated:
  // keep the last one (as decode attention does past its largest context).
  const auto e = between_curves(curves, n * k, [m](const Points& points) {
    if (m > points.back().first) return std::optional<double>(points.back().second);
    return interpolate_log_x(points, m);
  });
  return from_efficiency(gpu, gemm_roofline(gpu, m, n, k), e);
}

OpSeconds decode_attention_seconds(const GpuMeasurements& gpu, double batch,
                                   double kv_bytes_per_sequence, double flops) {
  std::map<double, Points> rows;  // B → (KV bytes per sequence, efficiency)
  double largest = 0.0;
  for (const DecodeAttentionPoint& point : gpu.decode_attention) {
    const double bytes = point.batch * point.kv_bytes_per_sequence;
    rows[point.batch].emplace_back(point.kv_bytes_per_sequence,
                                   bytes / gpu.bandwidth_bytes_per_s / point.seconds);
    largest = std::max(largest, point.kv_bytes_per_sequence);
  }
  for (auto& [key, points] : rows) points = sorted(std::move(points));
  const double x = kv_bytes_per_sequence;
  const auto e = between_curves(rows, batch, [x, largest](const Points& points) {
    // Beyond a row's largest context (and within the table's), bandwidth has saturated.
    if (x > points.back().first && x <= largest) return std::optional<double>(points.back().second);
    return interpolate_log_x(points, x);
  });
  const double roofline = batch * kv_bytes_per_sequence / gpu.bandwidth_bytes_per_s;
  OpSeconds result = from_efficiency(gpu, roofline, e);
  result.seconds = std::max(result.seconds, flops / gpu.gemm_flops_per_s);
  return result;
}

OpSeconds prefill_attention_seconds(const GpuMeasurements& gpu, double flops) {
  Points points;
  for (const FlopsPoint& point : gpu.prefill_attention)
    points.emplace_back(point.flops, point.flops / gpu.gemm_flops_per_s / point.seconds);
  return from_efficiency(gpu, flops / gpu.gemm_flops_per_s,
                         interpolate_log_x(sorted(std::move(points)), flops));
}

namespace {
OpSeconds bytes_op(const GpuMeasurements& gpu, const std::vector<BytesPoint>& table, double bytes) {
  Points points;
  for (const BytesPoint& point : table)
    points.emplace_back(point.bytes, point.bytes / gpu.bandwidth_bytes_per_s / point.seconds);
  return from_efficiency(gpu, bytes / gpu.bandwidth_bytes_per_s,
                         interpolate_log_x(sorted(std::move(points)), bytes));
}
}  // namespace

OpSeconds state_update_seconds(const GpuMeasurements& gpu, double bytes_read_plus_write) {
  return bytes_op(gpu, gpu.state_update, bytes_read_plus_write);
}

OpSeconds elementwise_seconds(const GpuMeasurements& gpu, double bytes) {
  return bytes_op(gpu, gpu.elementwise, bytes);
}

OpSeconds roofline_seconds(const GpuMeasurements& gpu, double flops, double bytes) {
  return {std::max(flops / gpu.gemm_flops_per_s, bytes / gpu.bandwidth_bytes_per_s) +
              gpu.graph_launch_seconds,
          false};
}

}  // namespace attnsim
