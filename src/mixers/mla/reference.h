// Reference execution of MLA, multi-head latent attention (mixers-spec §2): naive (decompressed
// MHA) and absorbed (MQA over the latent) forms, decoupled RoPE (interleaved by default), YaRN
// mscale, Tq ≤ Tk with bottom-right alignment, optional DSA key selection.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"
#include "mixers/common/rope.h"
#include "mixers/mla/core_flops.h"

namespace attnsim::mla {

struct Inputs {
  Tensor q_nope;                          // [B, Tq, H, dn]
  Tensor q_pe;                            // [B, Tq, H, dr], before RoPE
  Tensor c_kv;                            // [B, Tk, dc], after kv_norm
  Tensor k_pe;                            // [B, Tk, dr], before RoPE, shared by all heads
  Tensor w_uk;                            // [H, dn, dc]
  Tensor w_uv;                            // [H, dv, dc]
  std::vector<std::int64_t> q_positions;  // empty = bottom-right default
  std::vector<std::int64_t> k_positions;
};

enum class Form { naive, absorbed };

struct Options {
  Form form = Form::absorbed;
  std::optional<double> scale;  // default (dn + dr)^−1/2 · mscale²
  double mscale = 1.0;          // yarn_mscale(...) for YaRN-extended models
  double rope_theta = 10000.0;
  mixers::RopeStyle rope_style = mixers::RopeStyle::interleaved;  // DeepSeek's own code
  bool use_rope = true;  // false: Kimi-Linear's mla_use_nope
  std::int64_t query_block = 64;
  Precision precision = Precision::float64;
  const IndexTensor* selected_keys = nullptr;  // DSA: [B, Tq, k] padded with −1
  // With selected keys: false = dense blocks with a sparse mask (V3.2 prefill), true = only the
  // selected keys are gathered and multiplied (the spec's sparse FLOP count).
  bool gather_selected_keys = false;
};

struct Result {
  Tensor o;         // [B, Tq, H, dv]
  Tensor lse;       // [B, Tq, H]
  Tensor q_pe_rot;  // [B, Tq, H, dr]
  Tensor k_pe_rot;  // [B, Tk, dr] (what the cache stores)
  OpCounts counts;
  std::int64_t cache_elements = 0;  // latent cache: B·Tk·(dc + dr)
};

Result run(const Inputs& inputs, const Options& options);

// Splits DeepSeek's wkv_b.weight [H·(dn+dv), dc] into w_uk [H, dn, dc] and w_uv [H, dv, dc].
std::pair<Tensor, Tensor> split_wkv_b(const Tensor& w_kv_b, std::int64_t H, std::int64_t dn,
                                      std::int64_t dv);

}  // namespace attnsim::mla
