// Element types of caches and weights, byte units (GiB vs GB), token counts like "128k", and
// overflow-checked size arithmetic.
//
// Sizes are exact unsigned 64-bit integers of *bits* or bytes: every product is checked, so a
// size that does not fit (about 1.8e19) is reported as an error, never wrapped. FLOP counts,
// which are estimates and can exceed 2^64 for trillion-parameter models at long contexts, use
// double on purpose (see cost/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnsim {

// nvfp4 and mxfp4 are block-scaled 4-bit floats (E2M1 values, two per byte) that store one
// scale per block of values beside them: NVFP4 an FP8 E4M3 scale per 16 values (plus one fp32
// scale per tensor), MXFP4 (OCP Microscaling v1.0) an E8M0 scale per 32 values. q8_0 ... iq4_nl
// are ggml's block types (llama.cpp's --cache-type-k/-v): 32 values with an fp16 scale d (q4_1
// and q5_1 also an fp16 minimum m), ggml/src/ggml-common.h.
enum class DType {
  fp64,
  fp32,
  bf16,
  fp16,
  fp8,
  int8,
  int4,
  nvfp4,
  mxfp4,
  q8_0,
  q4_0,
  q4_1,
  q5_0,
  q5_1,
  iq4_nl
};

// Bits of one value, without block scales (4 for nvfp4 and mxfp4).
int dtype_bits(DType dtype);
// The block scale a dtype stores beside its values: one scale of `scale_bytes` per
// `block_elements` values; nullopt for dtypes without one.
struct BlockScale {
  std::uint64_t block_elements = 0;
  std::uint64_t scale_bytes = 0;
};
std::optional<BlockScale> dtype_block_scale(DType dtype);
// ggml's block-quantised types (q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl): llama.cpp's alone.
bool is_ggml_block_type(DType dtype);
// Bytes per value with the block scales spread over it (nvfp4 0.5625, mxfp4 0.53125): for
// bandwidth and weight-size estimates that are floating point anyway.
double dtype_bytes_per_element(DType dtype);
std::string_view dtype_name(DType dtype);
// Accepts the canonical names and the usual aliases (float32, bfloat16, float8_e4m3fn, ...).
std::optional<DType> parse_dtype(std::string_view text);
std::vector<std::string> dtype_names();

enum class ByteUnit { GiB, GB, MiB, MB, bytes };
std::string_view byte_unit_name(ByteUnit unit);
std::optional<ByteUnit> parse_byte_unit(std::string_view text);  // case-insensitive
double bytes_in(ByteUnit unit);                                  // 2^30 for GiB, 1e9 for GB, ...
// A size with its unit, as engines log it: "1.59GiB", "0.35 GB", "512MiB", "4096bytes"
// (rounded down to whole bytes; 0 allowed). Throws UserError naming `what` otherwise.
std::uint64_t parse_byte_size(std::string_view text, std::string_view what);

// Token counts: plain integers or with k/K (×1024), m/M (×1024²), g/G (×1024³) suffixes.
// Throws UserError naming `what` on anything else, on zero, and on overflow.
std::uint64_t parse_token_count(std::string_view text, std::string_view what);
std::vector<std::uint64_t> parse_token_list(std::string_view text, std::string_view what);
// "4K", "128K", "1M" when exact, otherwise the plain number.
std::string format_token_count(std::uint64_t tokens);

// Checked arithmetic: throw UserError("... does not fit in 64 bits ...") naming `what`.
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::string_view what);
std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, std::string_view what);
// Bytes needed to hold `elements` values of `dtype` (int4 packs two per byte, rounded up), with
// a block-scaled dtype's scales: one per started block of the values (blocks run along a
// cache term's values, which equals the kernels' per-head blocks when each head's width is a
// multiple of the block, as they require; NVFP4's per-tensor fp32 scale does not grow with
// tokens and is not counted).
std::uint64_t bytes_for_elements(std::uint64_t elements, DType dtype, std::string_view what);

}  // namespace attnsim
