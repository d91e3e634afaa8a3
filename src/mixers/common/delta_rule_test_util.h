// Helpers shared by the delta-rule tests (mixers/common, gated_deltanet, kda): options for a
// form and chunk, and the check of a worked example through a mixer's own `run`.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "core/npy.h"
#include "mixers/common/delta_rule.h"
#include "mixers/common/test_util.h"

namespace attnsim::testing {

inline mixers::DeltaRuleOptions delta_rule_options(mixers::DeltaRuleForm form,
                                                   std::int64_t chunk = 64) {
  mixers::DeltaRuleOptions options;
  options.form = form;
  options.chunk_size = chunk;
  return options;
}

// The example B2_T7_h2_chunk4 of `mixer` (scale 0.25, chunks of 4) through `run`, in both forms.
template <class Run>
void check_delta_rule_example(const std::string& mixer, Run run) {
  const std::string dir = example_dir(mixer, "B2_T7_h2_chunk4");
  const mixers::DeltaRuleInputs in{read_npy_float(dir + "q.npy"),    read_npy_float(dir + "k.npy"),
                                   read_npy_float(dir + "v.npy"),    read_npy_float(dir + "g.npy"),
                                   read_npy_float(dir + "beta.npy"), Tensor()};
  for (const auto form : {mixers::DeltaRuleForm::recurrent, mixers::DeltaRuleForm::chunked}) {
    auto options = delta_rule_options(form, 4);
    options.scale = 0.25;
    const mixers::DeltaRuleResult r = run(in, options);
    CHECK(max_abs_diff(r.o, read_npy_float(dir + "expected_o.npy")) < 1e-9);
    CHECK(max_abs_diff(r.final_state, read_npy_float(dir + "expected_final_state.npy")) < 1e-9);
  }
}

}  // namespace attnsim::testing
