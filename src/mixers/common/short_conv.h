// The depthwise causal short conv in front of the delta-rule and Mamba cores (mixers-spec §5,
// §8), followed by SiLU, as causal_conv1d runs it (RecurrentGemma's temporal conv1d: without
// it): each channel mixes its last k inputs. A session owns one and carries its state (the last
// k − 1 inputs per channel) across steps.
#pragma once

#include <cstdint>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"

namespace attnsim::mixers {

class ShortConv {
 public:
  explicit ShortConv(Tensor weights, bool silu = true);  // [C, k]
  // x [B, T, C] → silu(conv(x)) (or conv(x)) [B, T, C], with x given as [B, T, ...] parts whose
  // flattened channels lie side by side in C (q, k and v of one conv; no concatenation): one
  // output shaped like each part. Counts k multiply-adds per channel and token under "conv", as
  // the cost model does. Blocks of tokens are spread over the kernel threads.
  std::vector<Tensor> run(const std::vector<const Tensor*>& parts, OpCounts& counts);

  // For a core that convolves its inputs as it loads them (no [B, T, C] output is written):
  // bind the step's parts (as run takes them; they must outlive finish()), then call rows from
  // any thread, then finish, which moves the state on and counts as run does.
  void bind(const std::vector<const Tensor*>& parts);
  // Outputs of part `part`, sequence b, tokens [t0, t0 + n), the part's channels [begin, begin +
  // width), as S into `out` (rows out_stride apart). Arithmetic in S; for double exactly run's.
  template <class S>
  void rows(std::size_t part, std::int64_t b, std::int64_t begin, std::int64_t width,
            std::int64_t t0, std::int64_t n, S* out, std::int64_t out_stride) const;
  void finish(OpCounts& counts);
  const Tensor& part(std::size_t i) const { return *parts_.at(i); }  // bound part i

  std::int64_t state_elements() const { return static_cast<std::int64_t>(state_.size()); }

 private:
  Tensor weights_;
  std::vector<double> taps_;  // the weights tap-major, [k, C]
  std::vector<float> taps32_;
  bool silu_;
  std::vector<double> state_;  // [B, k − 1, C], oldest first; sized by the first call
  // The bound step: its parts, where each part's channels begin in C and how many it has.
  std::vector<const Tensor*> parts_;
  std::vector<std::int64_t> begins_, widths_;
  std::int64_t B_ = 0, T_ = 0;
};

}  // namespace attnsim::mixers
