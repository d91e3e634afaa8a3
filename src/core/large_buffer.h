// Buffers for tensors and per-head matrices, large ones on transparent huge pages.
//
// A fresh page costs a fault when it is first written, and under virtualisation a fault costs far
// more than clearing the page: on the development VM 11.6 µs per 4 KiB page, so a 64 MiB output
// (T = 4096, 16 heads of 128) took 190 ms to fault in, against 12 ms in 2 MiB pages, and
// `attnsim oracle` at T = 8192 with 32 heads spent 9 of its 17 seconds in the kernel. Blocks of
// kHugePageBytes or more are therefore whole 2 MiB pages on 2 MiB boundaries, marked for huge
// pages (madvise MADV_HUGEPAGE, which Linux honours under its default setting for them,
// "madvise"); smaller ones come from malloc as usual. Either kind is freed with free().
#pragma once

#include <cstddef>
#include <limits>
#include <new>
#include <vector>

namespace attnsim {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// `bytes` of storage as described above; throws std::bad_alloc when none is left.
void* allocate_buffer(std::size_t bytes);
void free_buffer(void* block) noexcept;

template <class T>
struct BufferAllocator {
  using value_type = T;
  BufferAllocator() = default;
  template <class U>
  BufferAllocator(const BufferAllocator<U>&) noexcept {}  // NOLINT: rebinding, as allocators do
  T* allocate(std::size_t count) {
    if (count > std::numeric_limits<std::size_t>::max() / sizeof(T))
      throw std::bad_array_new_length();
    return static_cast<T*>(allocate_buffer(count * sizeof(T)));
  }
  void deallocate(T* block, std::size_t) noexcept { free_buffer(block); }
  friend bool operator==(const BufferAllocator&, const BufferAllocator&) { return true; }
};

// A vector whose elements live in such a buffer.
template <class T>
using Buffer = std::vector<T, BufferAllocator<T>>;

}  // namespace attnsim
