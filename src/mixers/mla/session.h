// The reference facet of MLA (mixers/reference.h), and the latent cache its session keeps,
// shared with DSA's session over MLA.
#pragma once

#include <vector>

#include "mixers/mla/mixer.h"
#include "mixers/mla/reference.h"
#include "mixers/reference.h"
#include "mixers/softmax_attn/session.h"

namespace attnsim::mla {

const reference::Facet& facet();
reference::Binding binding(const MlaShape& shape);  // H, dn, dr, dv, dc

std::vector<reference::TensorSpec> input_specs();
std::vector<reference::ScalarSpec> scalar_specs();
// The chosen form, scale, mscale, RoPE settings and precision.
Options options_of(const reference::Binding& bound, const reference::SessionOptions& options);

// The latent cache c_kv [B, L, dc] and k_pe [B, L, dr] with the up-projections.
class LatentHistory {
 public:
  LatentHistory() = default;
  LatentHistory(const LatentHistory&) = delete;
  LatentHistory& operator=(const LatentHistory&) = delete;
  // The first step: w_uk and w_uv, or both split from w_kv_b.
  void set_weights(const reference::Tensors& inputs);
  // Appends the step's latents and returns the kernel inputs of the step: views of the step's
  // queries and of this cache, valid while both are (pass them on by reference or moved).
  Inputs step(const reference::Tensors& inputs);
  std::int64_t elements() const { return static_cast<std::int64_t>(c_kv_.size() + k_pe_.size()); }
  std::int64_t tokens() const { return static_cast<std::int64_t>(cache_.positions.size()); }

 private:
  Tensor w_uk_, w_uv_, c_kv_, k_pe_;
  softmax_attn::KvHistory cache_{{&c_kv_, &k_pe_}, {}};
};

}  // namespace attnsim::mla
