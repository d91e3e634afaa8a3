// Parameters and state accounting of lightning attention (mixers-spec §7).
#include "mixers/lightning/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/reader.h"

namespace attnsim::lightning {

namespace {
// The per-head decay formulas of mixers-spec §7; they change the numbers, not the cost.
constexpr std::string_view kSlopeFormulas[] = {"minimax", "ling", "fla"};

struct LightningShape {
  std::uint64_t n_heads = 0;     // H
  std::uint64_t head_dim_k = 0;  // K
  std::uint64_t head_dim_v = 0;  // V
  std::string slopes;
};

class LightningAttention final : public Mixer {
 public:
  explicit LightningAttention(LightningShape shape) : shape_(std::move(shape)) {}
  std::string_view kind() const override { return "lightning"; }
  std::string describe() const override {
    return fmt::format("H={} K={} V={} slopes={}", shape_.n_heads, shape_.head_dim_k,
                       shape_.head_dim_v, shape_.slopes);
  }
  std::vector<CacheTerm> cache_terms() const override {
    CacheTerm state;
    state.name = "recurrent state";
    state.role = CacheRole::recurrent_state;
    state.elements_per_sequence = shape_.n_heads * shape_.head_dim_k * shape_.head_dim_v;
    return {state};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override {
    return std::make_unique<LightningAttention>(*this);
  }

 private:
  LightningShape shape_;
};

std::unique_ptr<Mixer> from_config(config::MapReader& reader) {
  LightningShape shape;
  shape.n_heads = reader.required_positive("n_heads");
  shape.head_dim_k = reader.required_positive("head_dim");
  shape.head_dim_v = shape.head_dim_k;
  shape.slopes = reader.required_string("slopes");
  if (std::find(std::begin(kSlopeFormulas), std::end(kSlopeFormulas), shape.slopes) ==
      std::end(kSlopeFormulas))
    throw UserError(reader.require("slopes", "").where, reader.child_path("slopes"),
                    "one of minimax, ling, fla", fmt::format("'{}'", shape.slopes),
                    "the per-head decay formula of mixers-spec §7");
  return std::make_unique<LightningAttention>(shape);
}
}  // namespace

MixerKind kind_info() {
  return {"lightning", "lightning attention: linear attention with constant per-head decay",
          &from_config};
}

}  // namespace attnsim::lightning
