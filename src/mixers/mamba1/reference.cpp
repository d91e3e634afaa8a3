// Mamba-1 selective scan (Gu & Dao 2023, Algorithm 2), token by token for each sequence:
//   Δ_t = softplus(dt_t + dt_bias)                        [d_inner]
//   h_t = exp(Δ_t A) ∘ h_{t−1} + (Δ_t ∘ x_t) B_tᵀ         [d_inner, N], A per (channel, state)
//   y_t = (h_t C_t + D ∘ x_t) ∘ silu(z_t)                 [d_inner]
#include "mixers/mamba1/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "mixers/common/activations.h"
#include "mixers/common/parallel.h"

namespace attnsim::mamba1 {
namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstVec = Eigen::Map<const Eigen::VectorXd>;
using ConstRow = Eigen::Map<const Eigen::RowVectorXd>;

Shapes validate(const Inputs& in) {
  require_rank(in.x.shape, 3, "x", "[B, T, d_inner]");
  require_rank(in.A.shape, 2, "A", "[d_inner, N]");
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1);
  const Shapes shapes{in.x.dim(2), in.A.dim(1)};
  require_shape(in.dt.shape, {B, T, shapes.d_inner}, "dt", "B,T,d_inner");
  require_shape(in.dt_bias.shape, {shapes.d_inner}, "dt_bias", "d_inner");
  require_shape(in.A.shape, {shapes.d_inner, shapes.N}, "A", "d_inner,N");
  require_shape(in.Bm.shape, {B, T, shapes.N}, "Bm", "B,T,N");
  require_shape(in.Cm.shape, {B, T, shapes.N}, "Cm", "B,T,N");
  require_shape(in.D.shape, {shapes.d_inner}, "D", "d_inner");
  if (!in.z.empty()) require_shape(in.z.shape, {B, T, shapes.d_inner}, "z", "B,T,d_inner");
  if (!in.initial_state.empty()) {
    require_shape(in.initial_state.shape, {B, shapes.d_inner, shapes.N}, "initial_state",
                  "B,d_inner,N");
  }
  return shapes;
}

// Δ = softplus(dt + dt_bias), [B, T, d_inner].
Tensor discretize_dt(const Inputs& in) {
  Tensor delta = in.dt;
  const auto d_inner = static_cast<std::size_t>(in.dt.dim(2));
  for (std::size_t i = 0; i < delta.size(); ++i)
    delta[i] = mixers::softplus(delta[i] + in.dt_bias[i % d_inner]);
  return delta;
}

// Channels scanned together in one task: the scan is independent per channel, so a sequence's
// channels split into blocks that the kernel threads take (the arithmetic of each channel is the
// same whatever the block, so results do not depend on the thread count).
constexpr std::int64_t kChannelBlock = 128;

// The scan over the T tokens of sequence b for channels [c0, c0 + h.rows()); h is their rows of
// the state [d_inner, N], updated in place.
void scan_channels(const Inputs& in, const Tensor& delta, std::int64_t b, std::int64_t c0,
                   Eigen::Map<Mat> h, Tensor& y_out) {
  const std::int64_t T = in.x.dim(1), d_inner = in.x.dim(2), n = h.rows(), N = h.cols();
  const Eigen::Map<const Mat> A(in.A.data.data() + c0 * N, n, N);
  const ConstVec D(in.D.data.data() + c0, n);
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t row = (b * T + t) * d_inner + c0;
    const ConstVec x(in.x.data.data() + row, n);
    const ConstVec dt(delta.data.data() + row, n);
    const ConstRow B_t(in.Bm.data.data() + (b * T + t) * N, N);
    const ConstVec C_t(in.Cm.data.data() + (b * T + t) * N, N);
    // 1. decay: row c of A scaled by Δ_c, exponentiated elementwise
    h.array() *= (A.array().colwise() * dt.array()).exp();
    // 2. input: outer product (Δ ∘ x) B_tᵀ, n·N multiply-adds
    h.noalias() += dt.cwiseProduct(x) * B_t;
    // 3. read-out h C_t (n·N multiply-adds), D skip, gate
    Eigen::Map<Eigen::VectorXd> y(y_out.data.data() + row, n);
    y.noalias() = h * C_t;
    y += D.cwiseProduct(x);
    if (!in.z.empty()) {
      y.array() *= ConstVec(in.z.data.data() + row, n).unaryExpr(&mixers::silu).array();
    }
  }
}

}  // namespace

Result run(const Inputs& in) {
  const Shapes shapes = validate(in);
  const std::int64_t B = in.x.dim(0), T = in.x.dim(1);
  Result result;
  result.dt_discretized = discretize_dt(in);
  result.y = Tensor({B, T, shapes.d_inner});
  result.final_state =
      in.initial_state.empty() ? Tensor({B, shapes.d_inner, shapes.N}) : in.initial_state;
  const std::int64_t d_inner = shapes.d_inner, N = shapes.N;
  const std::int64_t blocks = (d_inner + kChannelBlock - 1) / kChannelBlock;
  mixers::parallel_for(B * blocks, [&](std::int64_t task) {
    const std::int64_t b = task / blocks, c0 = task % blocks * kChannelBlock;
    const std::int64_t n = std::min(kChannelBlock, d_inner - c0);
    Eigen::Map<Mat> h(result.final_state.data.data() + (b * d_inner + c0) * N, n, N);
    scan_channels(in, result.dt_discretized, b, c0, h, result.y);
  });
  result.counts.add("state_update", B * T * d_inner * N);
  result.counts.add("readout", B * T * d_inner * N);
  result.state_elements = B * state_elements(shapes);
  return result;
}

}  // namespace attnsim::mamba1
