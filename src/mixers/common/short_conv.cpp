// The short conv of the recurrent mixers, laid out for vector width: the weights are held
// tap-major ([k, C]), so that each tap is one pass over a token's contiguous channels, and the
// SiLU's exps go through exp_in_place a token at a time. Each sum keeps the order
// w[k−1]·x_t + Σ_{j<k−1} w[j]·x_{t−k+1+j} (oldest first).
#include "mixers/common/short_conv.h"

#include <algorithm>

#include "core/error.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::mixers {

ShortConv::ShortConv(Tensor weights, bool silu) : weights_(std::move(weights)), silu_(silu) {
  ATTNSIM_ASSERT(weights_.rank() == 2 && weights_.dim(1) >= 1, "conv weights are [C, k]");
  const std::int64_t C = weights_.dim(0), k = weights_.dim(1);
  taps_.resize(static_cast<std::size_t>(C * k));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t j = 0; j < k; ++j)
      taps_[static_cast<std::size_t>(j * C + c)] =
          weights_.data[static_cast<std::size_t>(c * k + j)];
}

std::vector<Tensor> ShortConv::run(const std::vector<const Tensor*>& parts, OpCounts& counts) {
  const std::int64_t C = weights_.dim(0), k = weights_.dim(1), history = k - 1;
  const std::int64_t B = parts.front()->dim(0), T = parts.front()->dim(1);
  std::vector<Tensor> outputs;
  std::vector<std::int64_t> widths, begins;  // part i is channels [begins[i], + widths[i])
  std::int64_t channels = 0;
  for (const Tensor* part : parts) {
    ATTNSIM_ASSERT(part->rank() >= 2 && part->dim(0) == B && part->dim(1) == T,
                   "conv inputs share B and T");
    begins.push_back(channels);
    widths.push_back(static_cast<std::int64_t>(part->size()) / (B * T));
    channels += widths.back();
    outputs.emplace_back(part->shape);
  }
  ATTNSIM_ASSERT(channels == C, "the conv inputs' channels are the weights' C");
  if (state_.empty()) state_.assign(static_cast<std::size_t>(B * history * C), 0.0);
  ATTNSIM_ASSERT(static_cast<std::int64_t>(state_.size()) == B * history * C,
                 "every step has the batch of the first");
  std::vector<double> gates;  // e^{−sum} over one token's channels, for the SiLU
  for (std::int64_t b = 0; b < B; ++b) {
    double* state = state_.data() + b * history * C;  // [k − 1, C], oldest row first
    // Input of part i at token τ of this sequence; τ < 0 reads the state.
    const auto input = [&](std::size_t i, std::int64_t tau) -> const double* {
      if (tau < 0) return state + (history + tau) * C + begins[i];
      return parts[i]->data.data() + (b * T + tau) * widths[i];
    };
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::int64_t width = widths[i];
      gates.resize(static_cast<std::size_t>(width));
      for (std::int64_t t = 0; t < T; ++t) {
        double* out = outputs[i].data.data() + (b * T + t) * width;
        const double* last = taps_.data() + history * C + begins[i];
        const double* x = input(i, t);
        for (std::int64_t c = 0; c < width; ++c) out[c] = last[c] * x[c];
        for (std::int64_t j = 0; j < history; ++j) {
          const double* w = taps_.data() + j * C + begins[i];
          const double* earlier = input(i, t - history + j);
          for (std::int64_t c = 0; c < width; ++c) out[c] += w[c] * earlier[c];
        }
        if (!silu_) continue;
        for (std::int64_t c = 0; c < width; ++c) gates[static_cast<std::size_t>(c)] = -out[c];
        exp_in_place(gates.data(), width);
        for (std::int64_t c = 0; c < width; ++c)
          out[c] = out[c] / (1.0 + gates[static_cast<std::size_t>(c)]);
      }
    }
    // The state becomes the last k − 1 inputs. Row j takes token T − k + 1 + j, which is a
    // later state row (T + j > j) while that token precedes this step, so no row is read after
    // it is overwritten.
    for (std::int64_t j = 0; j < history; ++j) {
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const double* x = input(i, T - history + j);
        std::copy(x, x + widths[i], state + j * C + begins[i]);
      }
    }
  }
  counts.add("conv", k * C * B * T);
  return outputs;
}

}  // namespace attnsim::mixers
