// Loops built a second time for AVX2 and chosen at run time. The kernels are compiled without
// -march (SSE2); a few plain loops also get a copy under __attribute__((target("avx2"))) that
// runs where the CPU has AVX2. The copies use no FMA, so every product and sum rounds as in the
// SSE2 loops and both give the same bits on any machine.
#pragma once

// Defined where the compiler can build such copies (GCC or Clang, x86-64).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ATTNSIM_AVX2_LOOPS 1
#endif

namespace attnsim::mixers {

// Whether this CPU runs AVX2 (asked once); false where ATTNSIM_AVX2_LOOPS is not defined.
bool cpu_has_avx2();

}  // namespace attnsim::mixers
