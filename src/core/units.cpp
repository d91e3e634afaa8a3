// Implementation of dtype tables, byte units, token-count parsing and checked arithmetic.
#include "core/units.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.h"

namespace attnsim {

namespace {
struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int bits;
  std::array<std::string_view, 3> aliases;
};
constexpr std::array<DTypeInfo, 15> kDTypes{{
    {DType::fp64, "fp64", 64, {"float64", "double", ""}},
    {DType::fp32, "fp32", 32, {"float32", "float", ""}},
    {DType::bf16, "bf16", 16, {"bfloat16", "", ""}},
    {DType::fp16, "fp16", 16, {"float16", "half", ""}},
    {DType::fp8, "fp8", 8, {"float8_e4m3fn", "fp8_e4m3", "fp8_e5m2"}},
    {DType::int8, "int8", 8, {"", "", ""}},
    {DType::int4, "int4", 4, {"", "", ""}},
    {DType::nvfp4, "nvfp4", 4, {"", "", ""}},
    {DType::mxfp4, "mxfp4", 4, {"", "", ""}},
    {DType::q8_0, "q8_0", 8, {"", "", ""}},
    {DType::q4_0, "q4_0", 4, {"", "", ""}},
    {DType::q4_1, "q4_1", 4, {"", "", ""}},
    {DType::q5_0, "q5_0", 5, {"", "", ""}},
    {DType::q5_1, "q5_1", 5, {"", "", ""}},
    {DType::iq4_nl, "iq4_nl", 4, {"", "", ""}},
}};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry;
  ATTNSIM_ASSERT(false, "unknown dtype enumerator");
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

int dtype_bits(DType dtype) { return info(dtype).bits; }

std::optional<BlockScale> dtype_block_scale(DType dtype) {
  // NVFP4: E2M1 values, one FP8 E4M3 (UE4M3) scale per 16 of them, one fp32 scale per tensor:
  // NVIDIA cuDNN, "NVFP4 block-scale conversion" (packed output [M, K/2], block scales [M, K/16]
  // E4M3, an fp32 decode scale [1, 1, 1]); NVIDIA NeMo AutoModel, quantization/nvfp4 (ModelOpt's
  // checkpoint layout: group_size 16, "0.5625 bytes per parameter" plus the tensor scale); Intel
  // Neural Compressor, "NVFP4 Quantization" (block 16, UE4M3 scale, FP32 global scale).
  if (dtype == DType::nvfp4) return BlockScale{16, 1};
  // MXFP4: E2M1 values, one E8M0 scale (8 bits, a power of two) per block of 32: OCP
  // Microscaling Formats (MX) Specification v1.0 (September 2023), its concrete format MXFP4
  // (k = 32, scale E8M0, elements FP4 E2M1); NVIDIA Transformer Engine's MX documentation
  // (one E8M0 scale per 32 consecutive values).
  if (dtype == DType::mxfp4) return BlockScale{32, 1};
  // ggml-common.h (ggml-org/llama.cpp ggml/src/ggml-common.h): QK8_0 = QK4_0 = QK4_1 = QK5_0 =
  // QK5_1 = QK4_NL = 32 values per block; block_q8_0 {ggml_half d; int8_t qs[32]} = 34 bytes,
  // block_q4_0 {d; uint8_t qs[16]} = 18, block_q5_0 {d; qh[4]; qs[16]} = 22, block_iq4_nl
  // {d; qs[16]} = 18, each with one fp16 scale; block_q4_1 {d, m; qs[16]} = 20 and block_q5_1
  // {d, m; qh[4]; qs[16]} = 24 carry a minimum beside it (static_asserts in that file).
  switch (dtype) {
    case DType::q8_0:
    case DType::q4_0:
    case DType::q5_0:
    case DType::iq4_nl:
      return BlockScale{32, 2};
    case DType::q4_1:
    case DType::q5_1:
      return BlockScale{32, 4};
    default:
      return std::nullopt;
  }
}

bool is_ggml_block_type(DType dtype) {
  return dtype == DType::q8_0 || dtype == DType::q4_0 || dtype == DType::q4_1 ||
         dtype == DType::q5_0 || dtype == DType::q5_1 || dtype == DType::iq4_nl;
}

double dtype_bytes_per_element(DType dtype) {
  double bytes = dtype_bits(dtype) / 8.0;
  if (const auto scale = dtype_block_scale(dtype))
    bytes += static_cast<double>(scale->scale_bytes) / static_cast<double>(scale->block_elements);
  return bytes;
}

std::string_view dtype_name(DType dtype) { return info(dtype).name; }

std::optional<DType> parse_dtype(std::string_view text) {
  const std::string wanted = lowercase(text);
  for (const auto& entry : kDTypes) {
    if (entry.name == wanted) return entry.dtype;
    for (auto alias : entry.aliases)
      if (!alias.empty() && alias == wanted) return entry.dtype;
  }
  return std::nullopt;
}

std::vector<std::string> dtype_names() {
  std::vector<std::string> names;
  for (const auto& entry : kDTypes) names.emplace_back(entry.name);
  return names;
}

std::string_view byte_unit_name(ByteUnit unit) {
  switch (unit) {
    case ByteUnit::GiB:
      return "GiB";
    case ByteUnit::GB:
      return "GB";
    case ByteUnit::MiB:
      return "MiB";
    case ByteUnit::MB:
      return "MB";
    case ByteUnit::bytes:
      return "bytes";
  }
  ATTNSIM_ASSERT(false, "unknown byte unit");
}

std::optional<ByteUnit> parse_byte_unit(std::string_view text) {
  // Case-insensitive: "gb" is GB and "gib" GiB (the "i" alone tells binary from decimal).
  for (ByteUnit unit : {ByteUnit::GiB, ByteUnit::GB, ByteUnit::MiB, ByteUnit::MB, ByteUnit::bytes})
    if (lowercase(byte_unit_name(unit)) == lowercase(text)) return unit;
  return std::nullopt;
}

double bytes_in(ByteUnit unit) {
  switch (unit) {
    case ByteUnit::GiB:
      return 1024.0 * 1024.0 * 1024.0;
    case ByteUnit::GB:
      return 1e9;
    case ByteUnit::MiB:
      return 1024.0 * 1024.0;
    case ByteUnit::MB:
      return 1e6;
    case ByteUnit::bytes:
      return 1.0;
  }
  ATTNSIM_ASSERT(false, "unknown byte unit");
}

std::uint64_t parse_byte_size(std::string_view text, std::string_view what) {
  const auto fail = [&]() -> std::uint64_t {
    throw UserError({}, std::string(what), "a size with its unit", fmt::format("'{}'", text),
                    "e.g. 1.59GiB, 0.35GB, 512MiB (GiB = 2^30 bytes, GB = 10^9)");
  };
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data() || !(number >= 0)) return fail();
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  const auto parsed = parse_byte_unit(unit);
  if (!parsed) return fail();
  const double bytes = std::floor(number * bytes_in(*parsed));
  if (!(bytes < 1.8e19)) return fail();  // beyond 64 bits
  return static_cast<std::uint64_t>(bytes);
}

std::uint64_t parse_token_count(std::string_view text, std::string_view what) {
  const std::string hint =
      "use a positive integer, optionally with k (×1024) or M (×1024²): 4k, 128k, 1M";
  std::uint64_t multiplier = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k':
      case 'K':
        multiplier = 1024;
        break;
      case 'm':
      case 'M':
        multiplier = 1024 * 1024;
        break;
      case 'g':
      case 'G':
        multiplier = 1024ull * 1024 * 1024;
        break;
      default:
        break;
    }
    if (multiplier != 1) digits.remove_suffix(1);
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    throw UserError({}, std::string(what), "a token count", fmt::format("'{}'", text), hint);
  if (value == 0)
    throw UserError({}, std::string(what), "a positive token count", fmt::format("'{}'", text),
                    hint);
  return checked_mul(value, multiplier, what);
}

std::vector<std::uint64_t> parse_token_list(std::string_view text, std::string_view what) {
  std::vector<std::uint64_t> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    values.push_back(parse_token_count(text.substr(start, comma - start), what));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return values;
}

std::string format_token_count(std::uint64_t tokens) {
  constexpr std::uint64_t kMi = 1024 * 1024;
  if (tokens >= kMi && tokens % kMi == 0) return fmt::format("{}M", tokens / kMi);
  if (tokens >= 1024 && tokens % 1024 == 0) return fmt::format("{}K", tokens / 1024);
  return fmt::format("{}", tokens);
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result))
    throw UserError(
        fmt::format("{}: {} × {} does not fit in 64 bits; use smaller sizes", what, a, b));
  return result;
}

std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what) {
  std::uint64_t result = 0;
  if (__builtin_add_overflow(a, b, &result))
    throw UserError(
        fmt::format("{}: {} + {} does not fit in 64 bits; use smaller sizes", what, a, b));
  return result;
}

std::uint64_t bytes_for_elements(std::uint64_t elements, DType dtype, std::string_view what) {
  const std::uint64_t bits =
      checked_mul(elements, static_cast<std::uint64_t>(dtype_bits(dtype)), what);
  const std::uint64_t value_bytes = bits / 8 + (bits % 8 != 0 ? 1 : 0);
  const auto scale = dtype_block_scale(dtype);
  if (!scale) return value_bytes;
  const std::uint64_t blocks =
      elements / scale->block_elements + (elements % scale->block_elements != 0 ? 1 : 0);
  return checked_add(value_bytes, checked_mul(blocks, scale->scale_bytes, what), what);
}

}  // namespace attnsim
