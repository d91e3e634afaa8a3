// Lightning attention (mixers-spec §7): S_t = exp(g_γ[h]) S_{t−1} + k_t v_tᵀ, o_t = s·S_tᵀ q_t,
// on top of the shared scalar-decay kernels (the scale is folded into q).
#include "mixers/lightning/reference.h"

#include <cmath>

#include "core/error.h"
#include "mixers/common/scalar_decay.h"

namespace attnsim::lightning {
namespace {

Shapes validate(const Inputs& in, const Options& options) {
  require_rank(in.q.shape, 4, "q", "[B, T, H, K]");
  require_rank(in.v.shape, 4, "v", "[B, T, H, V]");
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1);
  const Shapes shapes{in.q.dim(2), in.q.dim(3), in.v.dim(3)};
  require_shape(in.k.shape, {B, T, shapes.H, shapes.K}, "k", "B,T,H,K");
  require_shape(in.v.shape, {B, T, shapes.H, shapes.V}, "v", "B,T,H,V");
  require_shape(in.g_gamma.shape, {shapes.H}, "g_gamma", "H");
  if (!in.initial_state.empty()) {
    require_shape(in.initial_state.shape, {B, shapes.H, shapes.K, shapes.V}, "initial_state",
                  "B,H,K,V");
  }
  if (options.chunk_size < 1) {
    throw UserError(SourceLocation{}, "chunk_size", "≥ 1", std::to_string(options.chunk_size));
  }
  return shapes;
}

template <class S>
Result run_typed(const Inputs& in, const Options& options, const Shapes& sh) {
  const std::int64_t B = in.q.dim(0), T = in.q.dim(1);
  const S scale =
      static_cast<S>(options.scale.value_or(1.0 / std::sqrt(static_cast<double>(sh.K))));
  Result result;
  result.o = Tensor({B, T, sh.H, sh.V});
  result.final_state = in.initial_state.empty() ? Tensor({B, sh.H, sh.K, sh.V}) : in.initial_state;
  mixers::for_each_head_block(
      B, sh.H, result.counts,
      [&](std::int64_t b, std::int64_t h0, std::int64_t h1, OpCounts& counts) {
        std::vector<mixers::DecayHead> heads;
        std::vector<mixers::HeadMatrix<S>> states;
        std::vector<mixers::HeadOutput> outputs;
        for (std::int64_t h = h0; h < h1; ++h) {
          heads.push_back({mixers::head_rows(in.q, b, h),
                           mixers::head_rows(in.k, b, h),
                           mixers::head_rows(in.v, b, h),
                           static_cast<double>(scale),
                           {},
                           {nullptr, 0, in.g_gamma[static_cast<std::size_t>(h)]}});
          states.push_back(mixers::gather_matrix<S>(result.final_state, b * sh.H + h, sh.K, sh.V));
          outputs.push_back(mixers::head_output(result.o, b, h));
        }
        if (options.form == Form::recurrent) {
          for (std::size_t i = 0; i < heads.size(); ++i)
            mixers::scalar_decay_recurrent(heads[i], T, states[i], outputs[i], counts);
        } else {
          const std::vector<const mixers::HeadMatrix<S>*> no_scores(heads.size(), nullptr);
          mixers::scalar_decay_chunked(heads, T, no_scores, options.chunk_size, states, outputs,
                                       counts);
        }
        for (std::int64_t h = h0; h < h1; ++h)
          mixers::scatter_matrix(states[static_cast<std::size_t>(h - h0)], result.final_state,
                                 b * sh.H + h);
      });
  result.state_elements = B * state_elements(sh);
  return result;
}

// MiniMax-01 and Ling scale the slopes down with depth: 1 − l/(L−1) (+ small terms).
double minimax_depth_factor(std::int64_t layer, std::int64_t n_layers) {
  return 1.0 - static_cast<double>(layer) / (static_cast<double>(n_layers - 1) + 1e-5) + 1e-5;
}

}  // namespace

Result run(const Inputs& inputs, const Options& options) {
  const Shapes shapes = validate(inputs, options);
  return options.precision == Precision::float32 ? run_typed<float>(inputs, options, shapes)
                                                 : run_typed<double>(inputs, options, shapes);
}

std::vector<double> alibi_slopes(std::int64_t H) {
  const auto power_of_two_slopes = [](std::int64_t n) {
    std::vector<double> slopes;
    for (std::int64_t i = 0; i < n; ++i) slopes.push_back(std::pow(2.0, -8.0 * (i + 1) / n));
    return slopes;
  };
  std::int64_t lower = 1;
  while (lower * 2 <= H) lower *= 2;
  std::vector<double> slopes = power_of_two_slopes(lower);
  const std::vector<double> doubled = power_of_two_slopes(2 * lower);
  for (std::int64_t i = 0; static_cast<std::int64_t>(slopes.size()) < H; i += 2) {
    slopes.push_back(doubled[static_cast<std::size_t>(i)]);
  }
  return slopes;
}

std::vector<double> minimax_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers) {
  std::vector<double> g(static_cast<std::size_t>(H));
  const double base = std::pow(2.0, -8.0 / static_cast<double>(H));
  for (std::int64_t h = 0; h < H; ++h) {
    g[static_cast<std::size_t>(h)] =
        -std::pow(base, static_cast<double>(h + 1)) * minimax_depth_factor(layer, n_layers);
  }
  return g;
}

std::vector<double> ling_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers) {
  std::vector<double> g = alibi_slopes(H);
  const double depth = 1.0 - static_cast<double>(layer) / static_cast<double>(n_layers - 1) + 1e-5;
  for (double& value : g) value *= -depth;
  return g;
}

std::vector<double> fla_slopes(std::int64_t H, std::int64_t layer, std::int64_t n_layers) {
  std::vector<double> g(static_cast<std::size_t>(H));
  const double depth = 1.0 - static_cast<double>(layer) / static_cast<double>(n_layers);
  for (std::int64_t h = 0; h < H; ++h) {
    g[static_cast<std::size_t>(h)] =
        -(8.0 / static_cast<double>(H)) * depth * static_cast<double>(h);
  }
  return g;
}

}  // namespace attnsim::lightning
