// Reading and describing FFN specs.
#include "ffn/ffn.h"

#include <fmt/format.h>

#include <array>

#include "config/reader.h"

namespace attnsim {

namespace {
constexpr std::array<std::pair<Activation, std::string_view>, 4> kActivations{{
    {Activation::swiglu, "swiglu"},
    {Activation::geglu, "geglu"},
    {Activation::gelu, "gelu"},
    {Activation::relu2, "relu2"},
}};

Activation read_activation(config::MapReader& reader) {
  const std::string name = reader.required_string("activation");
  std::vector<std::string> names;
  for (const auto& [activation, known] : kActivations) {
    if (known == name) return activation;
    names.emplace_back(known);
  }
  throw UserError(reader.require("activation", "").where, reader.child_path("activation"),
                  "an activation", fmt::format("'{}'", name), config::did_you_mean(name, names));
}

void check_at_most(config::MapReader& reader, std::string_view key, std::uint64_t value,
                   std::string_view limit_key, std::uint64_t limit) {
  if (value <= limit) return;
  throw UserError(reader.require(key, "").where, reader.child_path(key),
                  fmt::format("at most {} ({})", limit_key, limit), std::to_string(value));
}
}  // namespace

std::string_view ffn_kind_name(FfnKind kind) { return kind == FfnKind::dense ? "dense" : "moe"; }

std::string_view activation_name(Activation activation) {
  for (const auto& [known, name] : kActivations)
    if (known == activation) return name;
  ATTNSIM_ASSERT(false, "unknown activation");
}

int matrices_per_expert(Activation activation) {
  return activation == Activation::swiglu || activation == Activation::geglu ? 3 : 2;
}

FfnSpec read_ffn(config::MapReader& reader) {
  FfnSpec spec;
  const std::string kind = reader.required_string("kind");
  spec.activation = read_activation(reader);
  if (kind == "dense") {
    spec.kind = FfnKind::dense;
    spec.d_ff = reader.required_positive("d_ff");
  } else if (kind == "moe") {
    spec.kind = FfnKind::moe;
    spec.n_experts = reader.required_positive("n_experts");
    spec.top_k = reader.required_positive("top_k");
    spec.expert_width = reader.required_positive("expert_width");
    spec.n_shared_experts = reader.optional_count("n_shared_experts").value_or(0);
    spec.shared_expert_width = reader.optional_count("shared_expert_width").value_or(0);
    spec.latent_dim = reader.optional_count("latent_dim").value_or(0);
    check_at_most(reader, "top_k", spec.top_k, "n_experts", spec.n_experts);
    if ((spec.n_shared_experts == 0) != (spec.shared_expert_width == 0))
      throw UserError(reader.node().where, reader.path(),
                      "n_shared_experts and shared_expert_width both set or both absent",
                      "only one of them", "a shared expert needs a width");
  } else {
    throw UserError(reader.require("kind", "").where, reader.child_path("kind"), "an FFN kind",
                    fmt::format("'{}'", kind), config::did_you_mean(kind, {"dense", "moe"}));
  }
  spec.bias = reader.optional_bool("bias", false);
  spec.post_norm = reader.optional_bool("post_norm", false);
  if (spec.kind == FfnKind::moe) {
    spec.router_bias = reader.optional_bool("router_bias", false);
    spec.router_score_bias = reader.optional_bool("router_score_bias", false);
    spec.shared_expert_gate = reader.optional_bool("shared_expert_gate", false);
  }
  reader.finish();
  return spec;
}

std::string describe(const FfnSpec& spec) {
  if (spec.kind == FfnKind::dense)
    return fmt::format("dense d_ff={} {}", spec.d_ff, activation_name(spec.activation));
  std::string text = fmt::format("moe {}×{} top-{} {}", spec.n_experts, spec.expert_width,
                                 spec.top_k, activation_name(spec.activation));
  if (spec.n_shared_experts > 0)
    text += fmt::format(" + {} shared×{}", spec.n_shared_experts, spec.shared_expert_width);
  if (spec.latent_dim > 0) text += fmt::format(" latent={}", spec.latent_dim);
  return text;
}

}  // namespace attnsim
