// Tests of token-count parsing, dtype sizes and checked arithmetic.
#include "core/units.h"

#include <doctest/doctest.h>

#include "core/error.h"

namespace attnsim {

TEST_CASE("parse_token_count") {
  SUBCASE("suffixes are binary: k = 1024, M = 1024²") {
    CHECK(parse_token_count("4k", "--context") == 4096);
    CHECK(parse_token_count("128K", "--context") == 131072);
    CHECK(parse_token_count("1M", "--context") == 1048576);
    CHECK(parse_token_count("1000", "--context") == 1000);
  }
  SUBCASE("rejects zero, signs, junk and overflow with the option's name") {
    for (const char* bad : {"0", "-4k", "4x", "", "k", "1.5k", "99999999999999999999"}) {
      CAPTURE(bad);
      CHECK_THROWS_WITH_AS(parse_token_count(bad, "--context"), doctest::Contains("--context"),
                           UserError);
    }
  }
  SUBCASE("a suffix that overflows 64 bits") {
    CHECK_THROWS_AS(parse_token_count("17592186044416M", "--context"), UserError);  // 2^44 × 2^20
  }
}

TEST_CASE("parse_byte_size") {
  CHECK(parse_byte_size("1.5GiB", "--reserved") == 1610612736ull);  // 1.5 × 2^30
  CHECK(parse_byte_size("0.35 GB", "--reserved") == 350000000ull);
  CHECK(parse_byte_size("512MiB", "--reserved") == 536870912ull);  // 512 × 2^20
  CHECK(parse_byte_size("0gib", "--reserved") == 0);
  for (const char* bad : {"", "1.5", "GiB", "-1GiB", "1.5 parsecs", "1e30GB"})
    CHECK_THROWS_AS(parse_byte_size(bad, "--reserved"), UserError);
}

TEST_CASE("parse_token_list") {
  CHECK(parse_token_list("4k,32k,1M", "--context") ==
        std::vector<std::uint64_t>{4096, 32768, 1048576});
  CHECK_THROWS_AS(parse_token_list("4k,,1M", "--context"), UserError);
}

TEST_CASE("format_token_count") {
  CHECK(format_token_count(4096) == "4K");
  CHECK(format_token_count(1048576) == "1M");
  CHECK(format_token_count(1000) == "1000");
  CHECK(format_token_count(1536) == "1536");  // 1.5 × 1024 is not a whole K
}

TEST_CASE("bytes_for_elements") {
  CHECK(bytes_for_elements(576, DType::bf16, "t") == 1152);
  CHECK(bytes_for_elements(128, DType::fp8, "t") == 128);
  CHECK(bytes_for_elements(3, DType::int4, "t") == 2);  // 12 bits round up to 2 bytes
  SUBCASE("block-scaled fp4: values two per byte plus one scale byte per started block") {
    CHECK(bytes_for_elements(2048, DType::nvfp4, "t") == 1024 + 128);  // 2048 / 16 scales
    CHECK(bytes_for_elements(2048, DType::mxfp4, "t") == 1024 + 64);   // 2048 / 32 scales
    CHECK(bytes_for_elements(24, DType::nvfp4, "t") == 12 + 2);        // 16 + a partial 8
    CHECK(bytes_for_elements(24, DType::mxfp4, "t") == 12 + 1);
    CHECK(bytes_for_elements(1, DType::nvfp4, "t") == 1 + 1);
    CHECK(dtype_bytes_per_element(DType::nvfp4) == 0.5625);   // 4 bits + 8 / 16
    CHECK(dtype_bytes_per_element(DType::mxfp4) == 0.53125);  // 4 bits + 8 / 32
    CHECK(dtype_bytes_per_element(DType::bf16) == 2.0);
  }
  SUBCASE("ggml block types: 32 values with an fp16 scale (and an fp16 minimum for _1)") {
    // One 128-wide head: 4 blocks. q8_0 4 × (32 + 2) = 136; q4_0 4 × (16 + 2) = 72; q4_1
    // 4 × (16 + 4) = 80; q5_0 4 × (20 + 2) = 88; q5_1 4 × (20 + 4) = 96; iq4_nl as q4_0.
    CHECK(bytes_for_elements(128, DType::q8_0, "t") == 136);
    CHECK(bytes_for_elements(128, DType::q4_0, "t") == 72);
    CHECK(bytes_for_elements(128, DType::q4_1, "t") == 80);
    CHECK(bytes_for_elements(128, DType::q5_0, "t") == 88);
    CHECK(bytes_for_elements(128, DType::q5_1, "t") == 96);
    CHECK(bytes_for_elements(128, DType::iq4_nl, "t") == 72);
    CHECK(dtype_bytes_per_element(DType::q8_0) == 34.0 / 32.0);
    CHECK(is_ggml_block_type(DType::q5_1));
    CHECK_FALSE(is_ggml_block_type(DType::mxfp4));
    CHECK(parse_dtype("Q8_0") == DType::q8_0);
  }
  CHECK(bytes_for_elements(10, DType::fp32, "t") == 40);
}

TEST_CASE("parse_dtype") {
  CHECK(parse_dtype("bfloat16") == DType::bf16);
  CHECK(parse_dtype("FP32") == DType::fp32);
  CHECK(parse_dtype("float8_e4m3fn") == DType::fp8);
  CHECK_FALSE(parse_dtype("bf17").has_value());
}

TEST_CASE("checked_mul and checked_add") {
  CHECK(checked_mul(1ull << 32, 1ull << 31, "x") == 1ull << 63);
  CHECK_THROWS_WITH_AS(checked_mul(1ull << 32, 1ull << 32, "KV bytes"),
                       doctest::Contains("does not fit in 64 bits"), UserError);
  CHECK_THROWS_AS(checked_add(~0ull, 1, "x"), UserError);
}

}  // namespace attnsim
