// The sequence-mixer plugin boundary. Each mixer kind lives in src/mixers/<kind>/ and owns its
// parameters (read and validated from YAML), its cache/state accounting and its reference kernel.
// Model-level code (graph/, cost/) only talks to this interface: it never names a mixer kind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.h"

namespace attnsim::config {
class MapReader;
}

namespace attnsim {

// Which of the model's cache dtypes a cache term is stored in (unless it names its own).
enum class CacheRole { kv, recurrent_state, conv_state };

// One tensor a layer keeps between decode steps. A term grows with context
// (elements_per_token, optionally capped at max_tokens by a window) or is fixed per sequence.
struct CacheTerm {
  std::string name;  // what it holds, e.g. "k+v", "c_kv+k_rope", "ssm state", "conv state"
  CacheRole role = CacheRole::kv;
  std::uint64_t elements_per_token = 0;
  std::optional<std::uint64_t> max_tokens;  // ring buffer of a sliding window / local chunk
  std::uint64_t elements_per_sequence = 0;
  std::optional<DType> dtype;               // overrides the model's dtype for `role`
  std::uint64_t extra_bytes_per_token = 0;  // e.g. a quantisation scale stored beside the data
};

class Mixer {
 public:
  virtual ~Mixer() = default;

  // The YAML `kind:` of this mixer (e.g. "gated_deltanet").
  virtual std::string_view kind() const = 0;
  // The kind as reported in layer counts: the same as kind() except where a parameter changes
  // what the layer is called in papers (softmax attention with a window is "sliding_attn").
  virtual std::string layer_kind() const { return std::string(kind()); }
  // Compact shape summary for `attnsim layers`, e.g. "H=16 Hkv=2 D=256".
  virtual std::string describe() const = 0;
  virtual std::vector<CacheTerm> cache_terms() const = 0;
  // The same layer as dense causal attention with no window (for "saving vs full attention"):
  // itself without window/chunking for attention kinds; nullptr for linear/SSM mixers, for
  // which the model's baseline attention is used instead.
  virtual std::unique_ptr<Mixer> full_attention_equivalent() const = 0;
  virtual std::unique_ptr<Mixer> clone() const = 0;
};

// A registered mixer kind: its YAML name, one line for `attnsim kinds`, and its factory, which
// reads and validates every parameter through the reader (unknown keys are rejected after it).
struct MixerKind {
  std::string_view kind;
  std::string_view summary;
  std::unique_ptr<Mixer> (*from_config)(config::MapReader& reader);
};

const std::vector<MixerKind>& mixer_kinds();
std::vector<std::string> mixer_kind_names();

// Builds a mixer from its YAML map: looks up `kind:` (with a "did you mean"), lets the kind
// read its parameters, then rejects unknown keys. Used for instances and nested mixers.
std::unique_ptr<Mixer> make_mixer(config::MapReader& reader);

}  // namespace attnsim
