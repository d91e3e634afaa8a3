// Parameters, decode state and FLOPs of a Mamba-3 layer (mixers-spec-new §A; mamba_ssm
// modules/mamba3.py @e9594ce: Mamba3.__init__, allocate_inference_cache).
#include "mixers/mamba3/mixer.h"

#include <fmt/format.h>

#include <algorithm>

#include "mixers/common/linear_flops.h"
#include "mixers/mamba3/core_flops.h"
#include "mixers/mamba3/session.h"

namespace attnsim::mamba3 {

namespace {
struct Mamba3Shape {
  std::uint64_t n_heads = 0;     // H
  std::uint64_t head_dim = 0;    // P; d_inner = H·P
  std::uint64_t state_size = 0;  // N (d_state)
  std::uint64_t n_groups = 1;    // G: B and C are shared by H/G heads
  std::uint64_t mimo_rank = 1;   // R; 1 = SISO (no mimo_x/z/o weights)
  double rope_fraction = 0.5;    // 0.5 or 1.0 → S = N/4 or N/2 angles per head
  bool outproj_norm = false;     // is_outproj_norm: RMSNormGated of d_inner before out_proj
};

class Mamba3 final : public LinearCoreMixer<Shapes> {
 public:
  explicit Mamba3(Mamba3Shape shape) : shape_(shape) {}
  std::string_view kind() const override { return "mamba3"; }
  std::string describe() const override {
    return fmt::format("H={} P={} N={} G={} R={} S={}", shape_.n_heads, shape_.head_dim,
                       shape_.state_size, shape_.n_groups, shape_.mimo_rank, angles());
  }
  // The four tensors of allocate_inference_cache: the SSM state [H, P, N] and the angle state
  // [H, S] (fp32 in mamba_ssm: recurrent_state), the previous token's rotated key [R, H, N] and
  // its x [H, P] (model dtype: conv_state, the width-2 "conv" the trapezoid replaces).
  std::vector<CacheTerm> cache_terms() const override {
    const Shapes s = core_shapes();
    const auto term = [](std::string name, CacheRole role, std::int64_t elements) {
      CacheTerm t;
      t.name = std::move(name);
      t.role = role;
      t.elements_per_sequence = static_cast<std::uint64_t>(elements);
      return t;
    };
    return {term("ssm state", CacheRole::recurrent_state, ssm_state_elements(s)),
            term("angle state", CacheRole::recurrent_state, angle_state_elements(s)),
            term("k state", CacheRole::conv_state, k_state_elements(s)),
            term("v state", CacheRole::conv_state, v_state_elements(s))};
  }
  std::unique_ptr<Mixer> full_attention_equivalent() const override { return nullptr; }
  std::unique_ptr<Mixer> clone() const override { return std::make_unique<Mamba3>(*this); }
  // in_proj D·(2·d_inner + 2·G·R·N + 3·H + S) ([z, x, B, C, dd_dt, dd_A, trap, angles], no
  // bias), out_proj d_inner·D; B_bias and C_bias H·R·N each; the B and C RMSNorms N each (+ the
  // output norm d_inner); dt_bias and D per head; MIMO: mimo_x, mimo_z, mimo_o H·R·P each.
  // No conv, no A_log (A comes from in_proj).
  ParamCounts params(const ParamContext& context) const override {
    const Count heads = shape_.n_heads;
    const Count d_inner = heads * shape_.head_dim;
    const Count rank_heads = heads * shape_.mimo_rank;
    ParamCounts params;
    params["projections"] = context.d_model * in_width() + d_inner * context.d_model;
    params["biases"] = 2 * rank_heads * shape_.state_size;
    params["norms"] = 2 * Count(shape_.state_size) + (shape_.outproj_norm ? d_inner : Count{});
    params["gates"] = 2 * heads;
    if (shape_.mimo_rank > 1) params["mimo"] = 3 * rank_heads * shape_.head_dim;
    return params;
  }
  std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const override {
    const auto d_model = static_cast<double>(context.d_model);
    const auto d_inner = static_cast<double>(shape_.n_heads * shape_.head_dim);
    return {{"in_proj", d_model, static_cast<double>(in_width()), false},
            {"out_proj", d_inner, d_model, true}};
  }
  std::uint64_t cache_split_heads() const override { return shape_.n_heads; }
  // MIMO pairs the angles' features (j, j + N/2) and runs chunks of 64 fused (token, rank) rows
  // (mamba_ssm's chunk_size 64 / R); SISO pairs (2j, 2j+1).
  std::optional<reference::Binding> reference_binding() const override {
    const Shapes s = core_shapes();
    reference::Binding bound;
    for (const auto& [axis, size] :
         {std::pair{"H", s.H}, {"P", s.P}, {"N", s.N}, {"G", s.G}, {"R", s.R}, {"S", s.S}})
      bound.set(axis, size);
    bound.set("rope_pairing", std::string(s.R > 1 ? "half" : "interleaved"));
    bound.set("outproj_norm", shape_.outproj_norm);
    if (s.R > 1) bound.set("chunk_size", std::max<std::int64_t>(1, 64 / s.R));
    return bound;
  }

 private:
  std::int64_t angles() const {
    return rope_angles(static_cast<std::int64_t>(shape_.state_size), shape_.rope_fraction);
  }
  Count in_width() const {
    const Count heads = shape_.n_heads;
    return 2 * heads * shape_.head_dim +
           2 * Count(shape_.n_groups) * shape_.mimo_rank * shape_.state_size + 3 * heads +
           static_cast<std::uint64_t>(angles());
  }
  Shapes core_shapes() const override {
    return {
        static_cast<std::int64_t>(shape_.n_heads),    static_cast<std::int64_t>(shape_.head_dim),
        static_cast<std::int64_t>(shape_.state_size), static_cast<std::int64_t>(shape_.n_groups),
        static_cast<std::int64_t>(shape_.mimo_rank),  angles()};
  }
  Mamba3Shape shape_;
};

std::unique_ptr<Mixer> from_fields(const FieldValues& values) {
  Mamba3Shape shape;
  shape.n_heads = values.positive("n_heads");
  shape.head_dim = values.positive("head_dim");
  shape.state_size = values.positive("state_size");
  shape.n_groups = values.positive("n_groups");
  shape.mimo_rank = values.positive("mimo_rank");
  shape.rope_fraction = values.number("rope_fraction");
  shape.outproj_norm = values.flag("outproj_norm");
  values.require_divides("n_groups", "n_heads", "head h reads B/C group h // (H / G)");
  if (shape.rope_fraction != 0.5 && shape.rope_fraction != 1.0)
    values.reject("rope_fraction", "0.5 or 1.0", fmt::format("{}", shape.rope_fraction),
                  "mamba_ssm Mamba3 asserts rope_fraction in [0.5, 1.0]");
  // The angles rotate pairs (j, j + N/2) in MIMO and (2j, 2j+1) in SISO: N must hold S ≥ 1.
  if (rope_angles(static_cast<std::int64_t>(shape.state_size), shape.rope_fraction) < 1 ||
      shape.state_size % 2 != 0)
    values.reject("state_size", "an even N with at least one rotation angle (N ≥ 4 at 0.5)",
                  std::to_string(shape.state_size));
  return std::make_unique<Mamba3>(shape);
}

const FieldTable& fields() {
  using enum FieldType;
  static const FieldTable table = {
      {"n_heads", positive, FieldRole::heads, kRequired, "heads", "SSM heads H (d_inner / P)"},
      {"head_dim", positive, FieldRole::width, kRequired, "channels", "P: channels per head"},
      {"state_size", positive, FieldRole::state_size, kRequired, "channels",
       "N: state per channel (d_state)"},
      {"n_groups", positive, FieldRole::head_groups, "1", "groups",
       "G: B/C groups (a divisor of n_heads)", "n_heads"},
      {"mimo_rank", positive, FieldRole::none, "1", "",
       "R: MIMO rank (1 = SISO, without the mimo_x/z/o weights)"},
      {"rope_fraction", number, FieldRole::none, "0.5", "",
       "share of the N state features rotated: 0.5 (S = N/4 angles) or 1.0 (S = N/2)"},
      {"outproj_norm", flag, FieldRole::none, "false", "",
       "is_outproj_norm: RMSNormGated per head of P before out_proj (instead of silu(z) alone)"},
  };
  return table;
}
}  // namespace

MixerKind kind_info() {
  return {"mamba3",
          "Mamba-3: trapezoidal SSM, rotated B/C, SISO/MIMO; state H·(P·N + S) + H·(R·N + P)",
          &fields(),
          &from_fields,
          {"ssm state (recurrent_state): H·P·N per sequence",
           "angle state (recurrent_state): H·S per sequence",
           "k state (conv_state): R·H·N per sequence (previous rotated key)",
           "v state (conv_state): H·P per sequence (previous x)"},
          {"chunked", "recurrent"},
          {{"mamba3", "Mamba-3", "Mamba-3"}},
          &facet()};
}

}  // namespace attnsim::mamba3
