// Dispatch by kind, random inputs and the short conv shared by the per-kind executions.
#include "sim/execution.h"

#include "config/reader.h"

namespace attnsim::sim {

const SimKind* find_sim_kind(std::string_view kind) {
  for (const auto& entry : sim_kinds())
    if (entry.kind == kind) return &entry;
  return nullptr;
}

std::optional<LayerRun> run_mixer(const config::Node& mixer, const std::string& path,
                                  const RunPlan& plan, Rng& rng) {
  const config::Node* kind = mixer.find("kind");
  ATTNSIM_ASSERT(kind != nullptr, "the loader has checked every mixer's kind");
  const SimKind* entry = find_sim_kind(kind->scalar);
  if (entry == nullptr) return std::nullopt;
  return entry->run(mixer, path, plan, rng);
}

Tensor random_normal(std::vector<std::int64_t> dims, Rng& rng) {
  Tensor tensor(std::move(dims));
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double& value : tensor.data) value = normal(rng);
  return tensor;
}

Tensor random_uniform(std::vector<std::int64_t> dims, double low, double high, Rng& rng) {
  Tensor tensor(std::move(dims));
  std::uniform_real_distribution<double> uniform(low, high);
  for (double& value : tensor.data) value = uniform(rng);
  return tensor;
}

Tensor token_slice(const Tensor& tensor, std::int64_t begin, std::int64_t end) {
  ATTNSIM_ASSERT(tensor.rank() >= 2 && tensor.dim(0) == 1 && 0 <= begin && begin <= end &&
                     end <= tensor.dim(1),
                 "token slices are of one sequence, within its tokens");
  std::vector<std::int64_t> dims = tensor.shape;
  dims[1] = end - begin;
  Tensor slice(dims);
  const std::size_t per_token = tensor.size() / static_cast<std::size_t>(tensor.dim(1));
  std::copy(tensor.data.begin() + static_cast<std::ptrdiff_t>(per_token * begin),
            tensor.data.begin() + static_cast<std::ptrdiff_t>(per_token * end), slice.data.begin());
  return slice;
}

Tensor channel_slice(const Tensor& x, std::int64_t begin, const std::vector<std::int64_t>& tail) {
  std::int64_t width = 1;
  for (std::int64_t d : tail) width *= d;
  ATTNSIM_ASSERT(x.rank() == 3 && begin + width <= x.dim(2), "the slice lies within x");
  std::vector<std::int64_t> dims{1, x.dim(1)};
  dims.insert(dims.end(), tail.begin(), tail.end());
  Tensor slice(dims);
  for (std::int64_t t = 0; t < x.dim(1); ++t)
    for (std::int64_t c = 0; c < width; ++c)
      slice.data[static_cast<std::size_t>(t * width + c)] =
          x.data[static_cast<std::size_t>(t * x.dim(2) + begin + c)];
  return slice;
}

void append_tokens(Tensor& head, const Tensor& tail) {
  if (head.empty()) {
    head = tail;
    return;
  }
  ATTNSIM_ASSERT(head.rank() == tail.rank() && head.dim(0) == 1 && tail.dim(0) == 1,
                 "appended tensors are of one sequence and the same rank");
  head.shape[1] += tail.dim(1);
  head.data.insert(head.data.end(), tail.data.begin(), tail.data.end());
}

ShortConv::ShortConv(std::int64_t channels, std::int64_t kernel, Rng& rng)
    : channels_(channels),
      kernel_(kernel),
      weights_(random_normal({channels, kernel}, rng)),
      state_(static_cast<std::size_t>((kernel - 1) * channels), 0.0) {}

Tensor ShortConv::run(const Tensor& x, OpCounts& counts) {
  ATTNSIM_ASSERT(x.rank() == 3 && x.dim(0) == 1 && x.dim(2) == channels_, "x is [1, T, C]");
  const std::int64_t T = x.dim(1);
  const auto C = static_cast<std::size_t>(channels_);
  const auto history = static_cast<std::size_t>(kernel_ - 1);
  Tensor y({1, T, channels_});
  for (std::int64_t t = 0; t < T; ++t) {
    const double* input = &x.data[static_cast<std::size_t>(t) * C];
    for (std::size_t c = 0; c < C; ++c) {
      // Tap j < k−1 reads the state (oldest first); the last tap reads the new input.
      double sum = weights_[c * static_cast<std::size_t>(kernel_) + history] * input[c];
      for (std::size_t j = 0; j < history; ++j)
        sum += weights_[c * static_cast<std::size_t>(kernel_) + j] * state_[j * C + c];
      y.data[static_cast<std::size_t>(t) * C + c] = sum;
    }
    counts.add("conv", kernel_ * channels_);
    if (history == 0) continue;
    std::copy(state_.begin() + static_cast<std::ptrdiff_t>(C), state_.end(), state_.begin());
    std::copy(input, input + C, state_.end() - static_cast<std::ptrdiff_t>(C));
  }
  return y;
}

}  // namespace attnsim::sim
