// Reading and state accounting of the delta-rule shape.
#include "mixers/common/delta_rule_shape.h"

#include <fmt/format.h>

#include "config/reader.h"

namespace attnsim::delta_rule {

DeltaRuleShape read_delta_rule_shape(config::MapReader& reader) {
  DeltaRuleShape shape;
  shape.n_qk_heads = reader.required_positive("n_qk_heads");
  shape.n_v_heads = reader.required_positive("n_v_heads");
  shape.head_dim_k = reader.required_positive("head_dim_k");
  shape.head_dim_v = reader.required_positive("head_dim_v");
  shape.conv_kernel = reader.required_positive("conv_kernel");
  if (shape.n_v_heads % shape.n_qk_heads != 0)
    throw UserError(reader.require("n_v_heads", "").where, reader.child_path("n_v_heads"),
                    fmt::format("a multiple of n_qk_heads ({})", shape.n_qk_heads),
                    std::to_string(shape.n_v_heads),
                    "value head j reads q/k head j // (n_v_heads / n_qk_heads)");
  return shape;
}

std::string describe(const DeltaRuleShape& shape) {
  return fmt::format("H={} HV={} K={} V={} conv={}", shape.n_qk_heads, shape.n_v_heads,
                     shape.head_dim_k, shape.head_dim_v, shape.conv_kernel);
}

std::vector<CacheTerm> state_terms(const DeltaRuleShape& shape) {
  CacheTerm state;
  state.name = "recurrent state";
  state.role = CacheRole::recurrent_state;
  state.elements_per_sequence = shape.n_v_heads * shape.head_dim_k * shape.head_dim_v;
  CacheTerm conv;
  conv.name = "conv state";
  conv.role = CacheRole::conv_state;
  conv.elements_per_sequence = (shape.conv_kernel - 1) * (2 * shape.n_qk_heads * shape.head_dim_k +
                                                          shape.n_v_heads * shape.head_dim_v);
  return {state, conv};
}

namespace {
class DeltaRuleMixer final : public Mixer {
 public:
  DeltaRuleMixer(std::string_view kind, Gate gate, DeltaRuleShape shape)
      : kind_(kind), gate_(gate), shape_(shape) {}
  std::string_view kind() const override { return kind_; }
  std::string describe() const override { return delta_rule::describe(shape_); }
  std::vector<CacheTerm> cache_terms() const override { return state_terms(shape_); }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<DeltaRuleMixer>(*this); }

 private:
  std::string_view kind_;
  Gate gate_;
  DeltaRuleShape shape_;
};
}  // namespace

std::unique_ptr<Mixer> make_delta_rule_mixer(std::string_view kind, Gate gate,
                                             const DeltaRuleShape& shape) {
  return std::make_unique<DeltaRuleMixer>(kind, gate, shape);
}

}  // namespace attnsim::delta_rule
