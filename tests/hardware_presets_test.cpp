// The shipped hardware presets (configs/hardware/*.yaml) against the published figures they cite.
// Each expected value is the vendor's number, with the sparse-to-dense halving done by hand in the
// comment; the sources and URLs are in each preset's `sources:` list.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/error.h"
#include "cost/hardware.h"

namespace attnsim {

namespace {
double tflops(const Hardware& hardware, const std::string& dtype) {
  return hardware.peak_for(dtype) / 1e12;
}

double gb_per_s(const Hardware& hardware) { return hardware.memory_bandwidth_bytes_per_s / 1e9; }

bool lists_unverified(const Hardware& hardware, const std::string& key_path) {
  const auto& keys = hardware.unverified;
  return std::find(keys.begin(), keys.end(), key_path) != keys.end();
}
}  // namespace

TEST_CASE("hardware presets match their published datasheet figures") {
  SUBCASE("h100-sxm") {
    const Hardware h100 = load_hardware("h100-sxm");
    // NVIDIA H100 product page, H100 SXM: BF16/FP16 1,979 TFLOPS with sparsity → 1979/2 = 989.5
    CHECK(tflops(h100, "bf16") == doctest::Approx(989.5));
    CHECK(tflops(h100, "fp16") == doctest::Approx(989.5));
    // FP8 3,958 TFLOPS and INT8 3,958 TOPS with sparsity → 3958/2 = 1979
    CHECK(tflops(h100, "fp8") == doctest::Approx(1979.0));
    CHECK(tflops(h100, "int8") == doctest::Approx(1979.0));
    CHECK(tflops(h100, "fp32") == doctest::Approx(67.0));    // FP32 67 TFLOPS (no sparsity)
    CHECK(gb_per_s(h100) == doctest::Approx(3350.0));        // 3.35 TB/s = 3,350 GB/s
    CHECK(h100.memory_capacity_bytes == 80'000'000'000ULL);  // 80GB
  }
  SUBCASE("h200") {
    const Hardware h200 = load_hardware("h200");
    // NVIDIA H200 product page, H200 SXM: BF16/FP16 1,979 with sparsity → 1979/2 = 989.5
    CHECK(tflops(h200, "bf16") == doctest::Approx(989.5));
    CHECK(tflops(h200, "fp16") == doctest::Approx(989.5));
    // FP8 3,958 TFLOPS and INT8 3,958 TOPS with sparsity → 3958/2 = 1979
    CHECK(tflops(h200, "fp8") == doctest::Approx(1979.0));
    CHECK(tflops(h200, "int8") == doctest::Approx(1979.0));
    CHECK(tflops(h200, "fp32") == doctest::Approx(67.0));
    CHECK(gb_per_s(h200) == doctest::Approx(4800.0));         // 4.8 TB/s = 4,800 GB/s
    CHECK(h200.memory_capacity_bytes == 141'000'000'000ULL);  // 141GB
  }
  SUBCASE("a100-80gb") {
    const Hardware a100 = load_hardware("a100-80gb");
    // NVIDIA A100 datasheet, 80GB SXM: "312 TFLOPS | 624 TFLOPS*" — the left value is dense
    CHECK(tflops(a100, "bf16") == doctest::Approx(312.0));
    CHECK(tflops(a100, "fp16") == doctest::Approx(312.0));
    CHECK(tflops(a100, "int8") == doctest::Approx(624.0));  // "624 TOPS | 1248 TOPS*"
    CHECK(tflops(a100, "fp32") == doctest::Approx(19.5));
    CHECK(gb_per_s(a100) == doctest::Approx(2039.0));        // 2,039GB/s
    CHECK(a100.memory_capacity_bytes == 80'000'000'000ULL);  // 80GB HBM2e
  }
  SUBCASE("b200, HGX B200 column") {
    const Hardware b200 = load_hardware("b200");
    // NVIDIA HGX page, HGX B200 per GPU, with sparsity: FP16/BF16 4.5 PFLOPS → 4500/2 = 2250
    CHECK(tflops(b200, "bf16") == doctest::Approx(2250.0));
    CHECK(tflops(b200, "fp16") == doctest::Approx(2250.0));
    // FP8/FP6 9 PFLOPS and INT8 9 POPS with sparsity → 9000/2 = 4500
    CHECK(tflops(b200, "fp8") == doctest::Approx(4500.0));
    CHECK(tflops(b200, "int8") == doctest::Approx(4500.0));
    // FP4 18 PFLOPS with sparsity → 18000/2 = 9000; the board row agrees: 72 PFLOPS dense / 8
    CHECK(tflops(b200, "fp4") == doctest::Approx(9000.0));
    CHECK(tflops(b200, "fp32") == doctest::Approx(75.0));
    CHECK(gb_per_s(b200) == doctest::Approx(7700.0));         // 7.7 TB/s = 7,700 GB/s
    CHECK(b200.memory_capacity_bytes == 180'000'000'000ULL);  // 180 GB HBM3E
  }
  SUBCASE("gb200, GB200 NVL72 column") {
    const Hardware gb200 = load_hardware("gb200");
    // NVIDIA's GB200 NVL72 table, per GPU, with sparsity: FP16/BF16 5 PFLOPS → 5000/2 = 2500
    CHECK(tflops(gb200, "bf16") == doctest::Approx(2500.0));
    CHECK(tflops(gb200, "fp16") == doctest::Approx(2500.0));
    // FP8/FP6 10 PFLOPS and INT8 10 POPS → 5000; FP4 20 PFLOPS → 10000
    CHECK(tflops(gb200, "fp8") == doctest::Approx(5000.0));
    CHECK(tflops(gb200, "int8") == doctest::Approx(5000.0));
    CHECK(tflops(gb200, "fp4") == doctest::Approx(10000.0));
    CHECK(tflops(gb200, "fp32") == doctest::Approx(80.0));
    CHECK(gb_per_s(gb200) == doctest::Approx(8000.0));         // 8 TB/s
    CHECK(gb200.memory_capacity_bytes == 186'000'000'000ULL);  // 186GB HBM3E
    CHECK(gb200.cuda_sm == 100);                               // compute capability 10.0
  }
  SUBCASE("mi300x") {
    const Hardware mi300x = load_hardware("mi300x");
    // AMD ROCm MI300X peak table (dense): Matrix FP16/BF16 2048 FLOP/clock/CU, 1307.4 TFLOPS
    // (304 CUs × 2048 × 2.1 GHz = 1,307.4)
    CHECK(tflops(mi300x, "bf16") == doctest::Approx(1307.4));
    CHECK(tflops(mi300x, "fp16") == doctest::Approx(1307.4));
    // Matrix FP8 and INT8 4096 per clock per CU: 2614.9 (304 × 4096 × 2.1 GHz = 2,614.9)
    CHECK(tflops(mi300x, "fp8") == doctest::Approx(2614.9));
    CHECK(tflops(mi300x, "int8") == doctest::Approx(2614.9));
    CHECK(tflops(mi300x, "fp32") == doctest::Approx(163.4));    // Matrix and Vector FP32 163.4
    CHECK(gb_per_s(mi300x) == doctest::Approx(5300.0));         // 5.3 TB/s = 5,300 GB/s
    CHECK(mi300x.memory_capacity_bytes == 192'000'000'000ULL);  // MLPerf: "192 GB" HBM3
  }
  SUBCASE("l40s") {
    const Hardware l40s = load_hardware("l40s");
    // NVIDIA L40S datasheet prints dense | sparse: BF16/FP16 "362.05 | 733*" — 362.05 is dense
    // (not 733/2 = 366.5: the two columns disagree by 1.2%)
    CHECK(tflops(l40s, "bf16") == doctest::Approx(362.05));
    CHECK(tflops(l40s, "fp16") == doctest::Approx(362.05));
    CHECK(tflops(l40s, "fp8") == doctest::Approx(733.0));  // FP8 "733 | 1,466*"
    CHECK(tflops(l40s, "fp32") == doctest::Approx(91.6));
    CHECK(gb_per_s(l40s) == doctest::Approx(864.0));         // 864GB/s
    CHECK(l40s.memory_capacity_bytes == 48'000'000'000ULL);  // 48 GB GDDR6
    // The INT8 row of the reproduced datasheet table is blank for the L40S.
    CHECK(lists_unverified(l40s, "peak_dense_tflops.int8"));
  }
  SUBCASE("rtx-4090, FP32-accumulate rates") {
    const Hardware rtx4090 = load_hardware("rtx-4090");
    // Ada whitepaper, Appendix A, RTX 4090 (dense/sparse): BF16 and FP16 with FP32 accumulate
    // 165.2/330.4; FP16 with FP16 accumulate would be 330.3/660.6 (not used: see the preset)
    CHECK(tflops(rtx4090, "bf16") == doctest::Approx(165.2));
    CHECK(tflops(rtx4090, "fp16") == doctest::Approx(165.2));
    CHECK(tflops(rtx4090, "fp8") == doctest::Approx(330.3));   // FP8, FP32 accumulate 330.3/660.6
    CHECK(tflops(rtx4090, "int8") == doctest::Approx(660.6));  // INT8 660.6/1321.2 TOPS
    CHECK(tflops(rtx4090, "fp32") == doctest::Approx(82.6));
    CHECK(gb_per_s(rtx4090) == doctest::Approx(1008.0));        // 1008 GB/sec
    CHECK(rtx4090.memory_capacity_bytes == 24'000'000'000ULL);  // 24 GB GDDR6X
  }
  SUBCASE("a10g: only the AWS capacity is confirmed; the rest is marked unverified") {
    const Hardware a10g = load_hardware("a10g");
    // AWS Batch user guide: g5.xlarge GPU memory "24 GiB"; the preset keeps 24 × 10^9 bytes
    CHECK(a10g.memory_capacity_bytes == 24'000'000'000ULL);
    // Third-party quotes of the AWS-hosted A10G datasheet (70 TF BF16/FP16, 35 TF FP32, 600
    // GB/s) are not checked as datasheet figures; the preset must say they are unconfirmed.
    for (const char* key : {"peak_dense_tflops.bf16", "peak_dense_tflops.fp16",
                            "peak_dense_tflops.fp32", "memory_bandwidth_gb_per_s"}) {
      CAPTURE(key);
      CHECK(lists_unverified(a10g, key));
    }
    // No A10G INT8 figure was found, so the preset gives none rather than the A10's 250 TOPS.
    CHECK_THROWS_AS(a10g.peak_for("int8"), UserError);
  }
}

}  // namespace attnsim
