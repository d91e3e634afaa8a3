// See avx2.h.
#include "mixers/common/avx2.h"

namespace attnsim::mixers {

bool cpu_has_avx2() {
#if defined(ATTNSIM_AVX2_LOOPS)
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2;
#else
  return false;
#endif
}

}  // namespace attnsim::mixers
