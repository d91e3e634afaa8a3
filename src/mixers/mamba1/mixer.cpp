// Parameters and state accounting of Mamba-1 (Gu & Dao 2023, "Mamba", §3; HF MambaCache keeps
// ssm_states [d_inner, d_state] and conv_states [d_inner, d_conv] per layer).
#include "mixers/mamba1/mixer.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim::mamba1 {

namespace {
struct Mamba1Shape {
  std::uint64_t d_inner = 0;      // expand × d_model channels
  std::uint64_t state_size = 0;   // N (d_state)
  std::uint64_t conv_kernel = 0;  // d_conv
};

class Mamba1 final : public Mixer {
 public:
  explicit Mamba1(Mamba1Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mamba1"; }
  std::string describe() const override {
    return fmt::format("d_inner={} N={} conv={}", shape_.d_inner, shape_.state_size,
                       shape_.conv_kernel);
  }
  // State h [d_inner, N]; the conv keeps its last d_conv−1 inputs over d_inner channels. (HF's
  // MambaCache allocates d_conv columns; that is an engine choice, not the minimum.)
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "ssm state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.d_inner * shape_.state_size;
    CacheTerm conv;
    conv.name = "conv state";
    conv.role = CacheRole::conv_state;
    conv.elements_per_sequence = (shape_.conv_kernel - 1) * shape_.d_inner;
    return {state, conv};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Mamba1>(*this); }

 private:
  Mamba1Shape shape_;
};

std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  Mamba1Shape shape;
  shape.d_inner = reader.required_positive("d_inner");
  shape.state_size = reader.required_positive("state_size");
  shape.conv_kernel = reader.required_positive("conv_kernel");
  return std::make_unique<Mamba1>(shape);
}
}  // namespace

MixerKind kind_info() {
  return {"mamba1", "Mamba-1 selective SSM: state d_inner·N + conv over d_inner channels",
          &from_config};
}

}  // namespace attnsim::mamba1
