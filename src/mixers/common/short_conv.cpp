// The short conv of the recurrent mixers, laid out for vector width: the weights are held
// tap-major ([k, C]), so that each tap is one pass over a token's contiguous channels, and the
// SiLU's exps go through exp_in_place a token at a time. Each sum keeps the order
// w[k−1]·x_t + Σ_{j<k−1} w[j]·x_{t−k+1+j} (oldest first).
#include "mixers/common/short_conv.h"

#include <algorithm>
#include <type_traits>

#include "core/error.h"
#include "mixers/common/avx2.h"
#include "mixers/common/parallel.h"
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
  taps32_.assign(taps_.begin(), taps_.end());
}

void ShortConv::bind(const std::vector<const Tensor*>& parts) {
  const std::int64_t C = weights_.dim(0), history = weights_.dim(1) - 1;
  B_ = parts.front()->dim(0), T_ = parts.front()->dim(1);
  parts_ = parts;
  begins_.clear();
  widths_.clear();
  std::int64_t channels = 0;
  for (const Tensor* part : parts) {
    ATTNSIM_ASSERT(part->rank() >= 2 && part->dim(0) == B_ && part->dim(1) == T_,
                   "conv inputs share B and T");
    begins_.push_back(channels);
    widths_.push_back(static_cast<std::int64_t>(part->size()) / (B_ * T_));
    channels += widths_.back();
  }
  ATTNSIM_ASSERT(channels == C, "the conv inputs' channels are the weights' C");
  if (state_.empty()) state_.assign(static_cast<std::size_t>(B_ * history * C), 0.0);
  ATTNSIM_ASSERT(static_cast<std::int64_t>(state_.size()) == B_ * history * C,
                 "every step has the batch of the first");
}

namespace {

// The loops of ShortConv::rows over tokens [t0, t0 + n) of one sequence's channels.
template <class S>
struct RowsTask {
  const S* taps;  // [k, C] at the first channel
  std::int64_t C, history, width;
  const double* state;  // [k − 1, C] at the first channel
  const double* x;      // the part's rows (part_width apart) at the first channel
  std::int64_t part_width, T, t0, n;
  S* out;
  std::int64_t out_stride;
  S* gates;  // [width] scratch
  bool silu;
};

template <class S>
[[gnu::always_inline]] inline void conv_rows(const RowsTask<S>& a) {
  // Input at token τ of this sequence; τ < 0 reads the state.
  const auto input = [&](std::int64_t tau) {
    return tau < 0 ? a.state + (a.history + tau) * a.C : a.x + tau * a.part_width;
  };
  for (std::int64_t t = a.t0; t < a.t0 + a.n; ++t) {
    S* o = a.out + (t - a.t0) * a.out_stride;
    const S* last = a.taps + a.history * a.C;
    const double* now = input(t);
    // A row 8 tokens ahead: rows of one head are short runs far apart (heads·dim), which the
    // hardware prefetchers do not follow.
    if (t + 8 < a.T)
      for (std::int64_t c = 0; c < a.width; c += 8)
        __builtin_prefetch(a.x + (t + 8) * a.part_width + c);
    for (std::int64_t c = 0; c < a.width; ++c) o[c] = last[c] * static_cast<S>(now[c]);
    for (std::int64_t j = 0; j < a.history; ++j) {
      const S* w = a.taps + j * a.C;
      const double* earlier = input(t - a.history + j);
      for (std::int64_t c = 0; c < a.width; ++c) o[c] += w[c] * static_cast<S>(earlier[c]);
    }
    if (!a.silu) continue;
    for (std::int64_t c = 0; c < a.width; ++c) a.gates[c] = -o[c];
    exp_in_place(a.gates, a.width);
    for (std::int64_t c = 0; c < a.width; ++c) o[c] = o[c] / (S(1) + a.gates[c]);
  }
}

// The same loops at AVX2 width where the CPU has it (chosen at run time; the binary needs no
// -march). Without FMA each product and sum rounds as in the SSE2 loops: the same bits. Only
// these two functions are compiled for AVX2, with no Eigen templates inside.
#if defined(ATTNSIM_AVX2_LOOPS)
__attribute__((target("avx2"))) void conv_rows_avx2(const RowsTask<double>& a) { conv_rows(a); }
__attribute__((target("avx2"))) void conv_rows_avx2(const RowsTask<float>& a) { conv_rows(a); }
template <class S>
void run_rows(const RowsTask<S>& a) {
  if (cpu_has_avx2()) return conv_rows_avx2(a);
  conv_rows(a);
}
#else
template <class S>
void run_rows(const RowsTask<S>& a) {
  conv_rows(a);
}
#endif

}  // namespace

template <class S>
void ShortConv::rows(std::size_t part, std::int64_t b, std::int64_t begin, std::int64_t width,
                     std::int64_t t0, std::int64_t n, S* out, std::int64_t out_stride) const {
  const std::int64_t C = weights_.dim(0), history = weights_.dim(1) - 1;
  const std::int64_t channel = begins_[part] + begin, part_width = widths_[part];
  ATTNSIM_ASSERT(begin >= 0 && begin + width <= part_width && t0 >= 0 && t0 + n <= T_,
                 "conv rows within the bound part");
  const S* taps = nullptr;
  if constexpr (std::is_same_v<S, float>)
    taps = taps32_.data();
  else
    taps = taps_.data();
  thread_local std::vector<S> gates;  // e^{−sum} over one token's channels, for the SiLU
  gates.resize(static_cast<std::size_t>(width));
  run_rows<S>({taps + channel, C, history, width, state_.data() + b * history * C + channel,
               parts_[part]->data.data() + b * T_ * part_width + begin, part_width, T_, t0, n, out,
               out_stride, gates.data(), silu_});
}

template void ShortConv::rows<double>(std::size_t, std::int64_t, std::int64_t, std::int64_t,
                                      std::int64_t, std::int64_t, double*, std::int64_t) const;
template void ShortConv::rows<float>(std::size_t, std::int64_t, std::int64_t, std::int64_t,
                                     std::int64_t, std::int64_t, float*, std::int64_t) const;

void ShortConv::finish(OpCounts& counts) {
  const std::int64_t C = weights_.dim(0), k = weights_.dim(1), history = k - 1;
  for (std::int64_t b = 0; b < B_; ++b) {
    double* state = state_.data() + b * history * C;
    // The state becomes the last k − 1 inputs. Row j takes token T − k + 1 + j, which is a
    // later state row (T + j > j) while that token precedes this step, so no row is read after
    // it is overwritten.
    for (std::int64_t j = 0; j < history; ++j) {
      const std::int64_t tau = T_ - history + j;
      for (std::size_t i = 0; i < parts_.size(); ++i) {
        const double* x = tau < 0 ? state + (history + tau) * C + begins_[i]
                                  : parts_[i]->data.data() + (b * T_ + tau) * widths_[i];
        std::copy(x, x + widths_[i], state + j * C + begins_[i]);
      }
    }
  }
  counts.add("conv", k * C * B_ * T_);
  parts_.clear();
}

std::vector<Tensor> ShortConv::run(const std::vector<const Tensor*>& parts, OpCounts& counts) {
  bind(parts);
  std::vector<Tensor> outputs;
  std::vector<double*> firsts;
  for (const Tensor* part : parts) {
    outputs.emplace_back(part->shape);
    firsts.push_back(outputs.back().data.data());
  }
  // Blocks of tokens of one sequence are independent (each reads the inputs, not the outputs):
  // tasks for the kernel threads, each output computed as by one thread.
  constexpr std::int64_t kBlock = 64;
  const std::int64_t blocks = (T_ + kBlock - 1) / kBlock;
  parallel_for(B_ * blocks, [&](std::int64_t task) {
    const std::int64_t b = task / blocks, t0 = task % blocks * kBlock;
    const std::int64_t n = std::min(kBlock, T_ - t0);
    for (std::size_t i = 0; i < parts_.size(); ++i)
      rows<double>(i, b, 0, widths_[i], t0, n, firsts[i] + (b * T_ + t0) * widths_[i], widths_[i]);
  });
  finish(counts);
  return outputs;
}

}  // namespace attnsim::mixers
