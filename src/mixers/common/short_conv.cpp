// The short conv of the recurrent mixers and the channel slicing around it.
#include "mixers/common/short_conv.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace attnsim::mixers {

ShortConv::ShortConv(Tensor weights, bool silu) : weights_(std::move(weights)), silu_(silu) {
  ATTNSIM_ASSERT(weights_.rank() == 2 && weights_.dim(1) >= 1, "conv weights are [C, k]");
}

Tensor ShortConv::run(const Tensor& x, OpCounts& counts) {
  const std::int64_t C = weights_.dim(0), k = weights_.dim(1);
  ATTNSIM_ASSERT(x.rank() == 3 && x.dim(2) == C, "conv input is [B, T, C]");
  const std::int64_t B = x.dim(0), T = x.dim(1);
  const auto c_ = static_cast<std::size_t>(C);
  const auto history = static_cast<std::size_t>(k - 1);
  if (state_.empty()) state_.assign(static_cast<std::size_t>(B) * history * c_, 0.0);
  ATTNSIM_ASSERT(state_.size() == static_cast<std::size_t>(B) * history * c_,
                 "every step has the batch of the first");
  Tensor y({B, T, C});
  for (std::int64_t b = 0; b < B; ++b) {
    double* state = state_.data() + static_cast<std::size_t>(b) * history * c_;
    for (std::int64_t t = 0; t < T; ++t) {
      const double* in = &x.data[static_cast<std::size_t>(b * T + t) * c_];
      double* out = &y.data[static_cast<std::size_t>(b * T + t) * c_];
      for (std::size_t c = 0; c < c_; ++c) {
        // Taps j < k − 1 read the state (oldest first); the last tap reads the new input.
        const double* w = &weights_.data[c * static_cast<std::size_t>(k)];
        double sum = w[history] * in[c];
        for (std::size_t j = 0; j < history; ++j) sum += w[j] * state[j * c_ + c];
        out[c] = silu_ ? sum / (1.0 + std::exp(-sum)) : sum;
      }
      if (history == 0) continue;
      std::copy(state + c_, state + history * c_, state);
      std::copy(in, in + c_, state + (history - 1) * c_);
    }
  }
  counts.add("conv", k * C * B * T);
  return y;
}

Tensor concat_channels(const std::vector<const Tensor*>& parts) {
  const std::int64_t B = parts.front()->dim(0), T = parts.front()->dim(1);
  std::vector<std::size_t> widths;
  std::int64_t C = 0;
  for (const Tensor* part : parts) {
    ATTNSIM_ASSERT(part->rank() >= 2 && part->dim(0) == B && part->dim(1) == T,
                   "conv inputs share B and T");
    widths.push_back(part->size() / static_cast<std::size_t>(B * T));
    C += static_cast<std::int64_t>(widths.back());
  }
  Tensor x({B, T, C});
  auto out = x.data.begin();
  for (std::int64_t row = 0; row < B * T; ++row)
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto begin = parts[i]->data.begin() + static_cast<std::ptrdiff_t>(widths[i] * row);
      out = std::copy(begin, begin + static_cast<std::ptrdiff_t>(widths[i]), out);
    }
  return x;
}

Tensor channel_slice(const Tensor& x, std::int64_t begin, const std::vector<std::int64_t>& tail) {
  std::int64_t width = 1;
  for (std::int64_t d : tail) width *= d;
  ATTNSIM_ASSERT(x.rank() == 3 && begin + width <= x.dim(2), "the slice lies within x");
  std::vector<std::int64_t> dims{x.dim(0), x.dim(1)};
  dims.insert(dims.end(), tail.begin(), tail.end());
  Tensor slice(dims);
  for (std::int64_t row = 0; row < x.dim(0) * x.dim(1); ++row)
    std::copy_n(x.data.begin() + static_cast<std::ptrdiff_t>(row * x.dim(2) + begin), width,
                slice.data.begin() + static_cast<std::ptrdiff_t>(row * width));
  return slice;
}

}  // namespace attnsim::mixers
