// Uses the installed library's documented public API (README "C++ library"): every public header
// is included, so each must compile from the installed tree alone. Prints Llama 3 8B's KV bytes
// per token and parameter count, and the key of the error for an unknown model.
#include <iostream>

#include "core/error.h"
#include "core/units.h"
#include "cost/flops.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "cost/roofline.h"
#include "graph/architecture.h"
#include "graph/load.h"

int main() {
  const attnsim::Architecture architecture = attnsim::load_architecture("llama-3-8b");
  const attnsim::MemoryReport report = attnsim::kv_memory(architecture, {8192}, 1);
  std::cout << report.kv_bytes_per_token << " " << attnsim::model_params(architecture).total;
  try {
    attnsim::load_architecture("no-such-model");
  } catch (const attnsim::UserError&) {
    std::cout << " UserError";
  }
  std::cout << "\n";
}
