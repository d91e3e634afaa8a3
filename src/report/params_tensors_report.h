// Renders `attnsim params --by tensor`: each architecture's tensors under transformers' names, as a
// table (layers, elements, name) or JSON, so that it can be diffed against named_parameters().
#pragma once

#include <string>
#include <vector>

#include "import/hf_tensor_names.h"
#include "report/format.h"

namespace attnsim::report {

struct TensorListing {
  std::string name;
  std::string model_type;          // whose names; empty: Llama's
  std::uint64_t params_total = 0;  // of cost/params, which the tensors must add up to
  std::vector<import::NamedTensor> tensors;
};

std::string render_params_tensors(const std::vector<TensorListing>& listings, OutputFormat format);

}  // namespace attnsim::report
