// Design sweeps: architectures derived from a base file by named knobs. Each variant is the
// base document with an extends-style override merged over it (config::merge_documents) and
// built by the ordinary loader — a variant is a normal layer graph, not a special code path.
//
// Knobs and the fields they set, by role in each kind's field table (mixers/fields.h), on every
// mixer instance (and nested mixer) that gives a field of that role:
//   linear_ratio=N:1  layers.mixer becomes {repeat: [lin × N, attn]} over the same n_layers,
//                     where lin is the model's one linear/SSM instance (fixed-size state; if
//                     it has none, its one sliding-window instance) and attn its one
//                     global-attention instance; `all` = every layer lin,
//                     `none` = every layer attn (0:1).
//   window=W          role window: `window` of sliding-window attention (W tokens)
//   kv_heads=H        role kv_heads: `n_kv_heads` (softmax/gated attention)
//   latent_rank=R     role latent_rank: `kv_lora_rank` (MLA)
//   state_size=N      role state_size: `state_size` (Mamba N), `head_dim_k` (the Dk of the
//                     Dk × Dv delta-rule state of Gated DeltaNet / KDA)
#pragma once

#include <string>
#include <vector>

#include "config/document.h"
#include "graph/architecture.h"

namespace attnsim {

struct KnobSetting {
  std::string knob;   // "linear_ratio"
  std::string value;  // "7:1"
};

// "linear_ratio=1:1,3:1" → one knob with its values; UserError on unknown knobs (did you mean).
std::pair<std::string, std::vector<std::string>> parse_vary(const std::string& text);
std::vector<std::string> knob_names();

// The override document that applies `settings` to `base` (a resolved architecture document
// that builds as `base_architecture`).
config::Node knob_override(const config::Node& base, const Architecture& base_architecture,
                           const std::vector<KnobSetting>& settings);

// base + override: the resolved document of the variant (its `expect:` dropped, as extends does).
config::Node derived_document(const config::Node& base, const Architecture& base_architecture,
                              const std::vector<KnobSetting>& settings);
// A name for the variant: "<base>[knob=value,...]".
std::string variant_name(const std::string& base_name, const std::vector<KnobSetting>& settings);

// base + override, built: named "<base>[knob=value,...]".
Architecture derive_architecture(const config::Node& base, const Architecture& base_architecture,
                                 const std::vector<KnobSetting>& settings);

// Every combination of the knobs' values, in the order given (the first knob varies slowest).
std::vector<std::vector<KnobSetting>> knob_grid(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& knobs);

}  // namespace attnsim
