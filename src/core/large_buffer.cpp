// See large_buffer.h.
#include "core/large_buffer.h"

#include <sys/mman.h>

#include <cstdlib>

namespace attnsim {

void* allocate_buffer(std::size_t bytes) {
  if (bytes < kHugePageBytes) {
    if (void* block = std::malloc(bytes == 0 ? 1 : bytes)) return block;
    throw std::bad_alloc();
  }
  // Whole huge pages, so that no other allocation shares the last one.
  const std::size_t whole = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (whole < bytes) throw std::bad_alloc();  // the rounding wrapped
  void* block = std::aligned_alloc(kHugePageBytes, whole);
  if (block == nullptr) throw std::bad_alloc();
  // Only a hint: where the kernel has no huge pages to give (or none are configured), the block
  // works the same on small ones, so a failure here is not an error.
  madvise(block, whole, MADV_HUGEPAGE);
  return block;
}

void free_buffer(void* block) noexcept { std::free(block); }

}  // namespace attnsim
