// Tests of the buffer allocator: large blocks whole huge pages on 2 MiB boundaries, small ones
// plain, both usable to their last byte, and tensors that use them.
#include "core/large_buffer.h"

#include <doctest/doctest.h>

#include <cstdint>

#include "core/tensor.h"

namespace attnsim {
namespace {

bool on_huge_page_boundary(const void* block) {
  return reinterpret_cast<std::uintptr_t>(block) % (std::uintptr_t{2} << 20) == 0;
}

TEST_CASE("allocate_buffer") {
  SUBCASE("a block of 2 MiB or more starts on a 2 MiB boundary and is usable throughout") {
    for (const std::size_t bytes : {std::size_t{2} << 20, (std::size_t{3} << 20) + 8}) {
      auto* block = static_cast<unsigned char*>(allocate_buffer(bytes));
      CHECK(on_huge_page_boundary(block));
      block[0] = 1;
      block[bytes - 1] = 2;
      CHECK(block[0] + block[bytes - 1] == 3);
      free_buffer(block);
    }
  }
  SUBCASE("smaller blocks, empty ones included, come from malloc") {
    for (const std::size_t bytes : {std::size_t{0}, std::size_t{8}, (std::size_t{2} << 20) - 8}) {
      void* block = allocate_buffer(bytes);
      CHECK(block != nullptr);
      free_buffer(block);
    }
  }
  SUBCASE("a count whose bytes overflow is refused, not wrapped") {
    BufferAllocator<double> allocator;
    CHECK_THROWS_AS(allocator.allocate(SIZE_MAX / 4), std::bad_array_new_length);
  }
}

TEST_CASE("tensors keep their elements in such buffers") {
  const Tensor large({512, 1024}, 0.5);  // 4 MiB
  CHECK(on_huge_page_boundary(large.data.data()));
  CHECK(large[0] == 0.5);
  CHECK(large[512 * 1024 - 1] == 0.5);
  const Tensor copy = large;  // a copy has a buffer of its own, as large
  CHECK(copy.data.data() != large.data.data());
  CHECK(on_huge_page_boundary(copy.data.data()));
  CHECK(copy.data == large.data);
}

}  // namespace
}  // namespace attnsim
