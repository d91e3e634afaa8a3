// Sweep of the parameter, FLOP and roofline models over every shipped architecture: finite,
// consistent and monotone numbers, with no test edit when a file is added.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "cost/flops.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "graph/load.h"
#include "tests/support.h"

namespace attnsim {

TEST_CASE("cost models on every shipped architecture") {
  const Hardware h100 = load_hardware("h100-sxm");
  for (const auto& file : list_architecture_files()) {
    CAPTURE(file.string());
    const Architecture architecture = load_architecture_file(file);

    const ParamReport params = model_params(architecture);
    CHECK(params.active > 0);
    CHECK(params.active <= params.active_with_embeddings);
    CHECK(params.active_with_embeddings <=
          params.total + architecture.dims.vocab_size * architecture.dims.d_model);

    // Decode FLOPs never fall as the context grows; prefill is finite and positive.
    double previous = 0.0;
    for (std::uint64_t L : {1ULL << 10, 1ULL << 14, 1ULL << 17, 1ULL << 20}) {
      const FlopReport flops = model_flops(architecture, 1024, L, {});
      CHECK(std::isfinite(flops.prefill_total));
      CHECK(flops.prefill_total > 0.0);
      CHECK(flops.decode_total >= previous);
      previous = flops.decode_total;
    }
    // The causal-full convention never counts less than half.
    CHECK(model_flops(architecture, 4096, 4096, {CausalConvention::full}).prefill_total >=
          model_flops(architecture, 4096, 4096, {CausalConvention::half}).prefill_total);

    RooflineOptions options;
    options.batch = 4;
    options.context = 32768;
    // A count with parts no source sizes (unknown_params) has no weight bytes to read: refused.
    if (params.lower_bound()) {
      CHECK_THROWS_AS(roofline(architecture, h100, options), UserError);
      continue;
    }
    const RooflineReport report = roofline(architecture, h100, options);
    CHECK(report.decode.seconds() > 0.0);
    CHECK(std::isfinite(report.decode.tokens_per_second));
    CHECK(report.prefill.tokens_per_second > 0.0);
  }
}

}  // namespace attnsim

namespace attnsim {

TEST_CASE("cost commands") {
  SUBCASE("the commands of issue 4 answer and state their conventions") {
    const auto params = testing::run({"params", "deepseek-v3"});
    CHECK(params.exit_code == 0);
    CHECK(params.out.find("671.026 B total") != std::string::npos);
    const auto flops =
        testing::run({"flops", "qwen3-next-80b-a3b", "--prefill", "32k", "--decode-at", "128k"});
    CHECK(flops.exit_code == 0);
    CHECK(flops.out.find("causal=half") != std::string::npos);
    const auto roofline = testing::run({"roofline", "kimi-linear-48b-a3b", "--hw", "h100-sxm",
                                        "--tp", "1", "--batch", "16", "--context", "1M"});
    CHECK(roofline.exit_code == 0);
    CHECK(roofline.out.find("E·(1 − (1 − k/E)^B)") != std::string::npos);
    const auto fit =
        testing::run({"fit", "nemotron-3-nano-30b-a3b", "--hw", "a10g", "--weights-dtype", "bf16"});
    CHECK(fit.exit_code == 1);  // nothing fits: exit 1, with the settings that would
    CHECK(fit.out.find("nothing fits") != std::string::npos);  // 63 GB of bf16 weights > 24 GB
  }
  SUBCASE("mistakes are user errors (exit 2)") {
    CHECK(testing::run({"flops", "llama-3-8b", "--causal", "quarter"}).exit_code == 2);
    CHECK(testing::run({"roofline", "llama-3-8b", "--hw", "h100-sxn"}).exit_code == 2);
    CHECK(testing::run({"roofline", "llama-3-8b", "--hw", "h100-sxm", "--compute-dtype", "fp4"})
              .exit_code == 2);
    CHECK(testing::run({"fit", "llama-3-8b", "--hw", "h100-sxm", "--batch", "2", "--context", "4k"})
              .exit_code == 2);
  }
}

}  // namespace attnsim
