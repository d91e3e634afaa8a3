// Feed-forward blocks: dense MLPs and mixtures of experts (with shared experts and latent MoE).
// Plain specs read from an architecture file's `ffns:` map.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace attnsim::config {
class MapReader;
}

namespace attnsim {

enum class FfnKind { dense, moe };

// The activation decides how many weight matrices an expert has: gated units (SwiGLU, GeGLU)
// have gate, up and down projections; plain ones (GELU, squared ReLU) only up and down.
enum class Activation { swiglu, geglu, gelu, relu2 };

struct FfnSpec {
  FfnKind kind = FfnKind::dense;
  Activation activation = Activation::swiglu;
  std::uint64_t d_ff = 0;  // dense: hidden width
  // MoE: routed experts of width expert_width, top_k of them per token, plus always-on shared
  // experts. A latent MoE (Nemotron 3 Super) runs the experts in a smaller latent width.
  std::uint64_t n_experts = 0;
  std::uint64_t top_k = 0;
  std::uint64_t expert_width = 0;
  std::uint64_t n_shared_experts = 0;
  std::uint64_t shared_expert_width = 0;
  std::uint64_t latent_dim = 0;  // 0: experts work at d_model
  // Weights beyond the matrices, which differ between models of the same kind (all default to
  // absent, the common case): biases on every expert/MLP matrix (gpt-oss), a router bias
  // (DeepSeek-V3's e_score_correction_bias, gpt-oss), a sigmoid gate D→1 on the shared expert
  // (Qwen2-MoE, Qwen3-Next), and an RMSNorm of D on the FFN output besides the pre-norm (Gemma 3).
  // router_bias is a parameter (gpt-oss's router Linear bias); router_score_bias is the
  // score-correction bias of aux-loss-free routing (DeepSeek-V3's e_score_correction_bias), which
  // transformers keeps as a buffer: checkpoints store it, parameter counts do not include it.
  bool bias = false;
  bool router_bias = false;
  bool router_score_bias = false;
  bool shared_expert_gate = false;
  bool post_norm = false;
};

FfnSpec read_ffn(config::MapReader& reader);
std::string_view ffn_kind_name(FfnKind kind);
std::string_view activation_name(Activation activation);
int matrices_per_expert(Activation activation);
std::string describe(const FfnSpec& spec);

}  // namespace attnsim
