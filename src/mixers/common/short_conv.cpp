// The short conv of the recurrent mixers.
#include "mixers/common/short_conv.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace attnsim::mixers {

ShortConv::ShortConv(Tensor weights, bool silu) : weights_(std::move(weights)), silu_(silu) {
  ATTNSIM_ASSERT(weights_.rank() == 2 && weights_.dim(1) >= 1, "conv weights are [C, k]");
}

std::vector<Tensor> ShortConv::run(const std::vector<const Tensor*>& parts, OpCounts& counts) {
  const std::int64_t C = weights_.dim(0), k = weights_.dim(1);
  const std::int64_t B = parts.front()->dim(0), T = parts.front()->dim(1);
  std::vector<Tensor> outputs;
  std::vector<std::size_t> widths;
  std::size_t channels = 0;
  for (const Tensor* part : parts) {
    ATTNSIM_ASSERT(part->rank() >= 2 && part->dim(0) == B && part->dim(1) == T,
                   "conv inputs share B and T");
    widths.push_back(part->size() / static_cast<std::size_t>(B * T));
    channels += widths.back();
    outputs.emplace_back(part->shape);
  }
  const auto c_ = static_cast<std::size_t>(C);
  ATTNSIM_ASSERT(channels == c_, "the conv inputs' channels are the weights' C");
  const auto history = static_cast<std::size_t>(k - 1);
  if (state_.empty()) state_.assign(static_cast<std::size_t>(B) * history * c_, 0.0);
  ATTNSIM_ASSERT(state_.size() == static_cast<std::size_t>(B) * history * c_,
                 "every step has the batch of the first");
  for (std::int64_t b = 0; b < B; ++b) {
    double* state = state_.data() + static_cast<std::size_t>(b) * history * c_;
    for (std::int64_t t = 0; t < T; ++t) {
      const auto row = static_cast<std::size_t>(b * T + t);
      // Channel begin + c of the conv is channel c of part i.
      for (std::size_t i = 0, begin = 0; i < parts.size(); begin += widths[i++]) {
        const double* in = &parts[i]->data[row * widths[i]];
        double* out = &outputs[i].data[row * widths[i]];
        for (std::size_t c = 0; c < widths[i]; ++c) {
          // Taps j < k − 1 read the state (oldest first); the last tap reads the new input.
          const double* w = &weights_.data[(begin + c) * static_cast<std::size_t>(k)];
          double sum = w[history] * in[c];
          for (std::size_t j = 0; j < history; ++j) sum += w[j] * state[j * c_ + begin + c];
          out[c] = silu_ ? sum / (1.0 + std::exp(-sum)) : sum;
        }
      }
      if (history == 0) continue;
      std::copy(state + c_, state + history * c_, state);
      for (std::size_t i = 0, begin = 0; i < parts.size(); begin += widths[i++]) {
        const double* in = &parts[i]->data[row * widths[i]];
        std::copy(in, in + widths[i], state + (history - 1) * c_ + begin);
      }
    }
  }
  counts.add("conv", k * C * B * T);
  return outputs;
}

}  // namespace attnsim::mixers
