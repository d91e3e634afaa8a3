// Top-k selection of the lightning indexers (DSA, DeepSeek V4's compressed attention): the k
// largest scores, ties to the lower index (mixers-spec §3 "Top-k ties"), at either precision.
#pragma once

#include <cstdint>
#include <vector>

namespace attnsim::mixers {

// The indices of the min(k, n) largest of scores[0, n), by score descending, ties to the lower
// index (−0 and +0 are equal): the list a comparison sort by (score desc, index) gives.
std::vector<std::int64_t> top_k(const double* scores, std::int64_t n, std::int64_t k);
std::vector<std::int64_t> top_k(const float* scores, std::int64_t n, std::int64_t k);

}  // namespace attnsim::mixers
