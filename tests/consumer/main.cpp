// Prints Llama 3 8B's KV bytes per token through the installed library's public API.
#include <iostream>

#include "cost/memory.h"
#include "graph/load.h"

int main() {
  const attnsim::Architecture architecture = attnsim::load_architecture("llama-3-8b");
  const attnsim::MemoryReport report = attnsim::kv_memory(architecture, {8192}, 1);
  std::cout << report.kv_bytes_per_token << "\n";
}
