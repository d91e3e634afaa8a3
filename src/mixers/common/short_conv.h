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
  // the cost model does.
  std::vector<Tensor> run(const std::vector<const Tensor*>& parts, OpCounts& counts);
  std::int64_t state_elements() const { return static_cast<std::int64_t>(state_.size()); }

 private:
  Tensor weights_;
  std::vector<double> taps_;  // the weights tap-major, [k, C]
  bool silu_;
  std::vector<double> state_;  // [B, k − 1, C], oldest first; sized by the first call
};

}  // namespace attnsim::mixers
