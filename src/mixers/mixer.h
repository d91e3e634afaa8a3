// The sequence-mixer plugin boundary. Each mixer kind lives in src/mixers/<kind>/ and owns its
// parameters (read and validated from YAML), its cache/state accounting and its reference kernel.
// Model-level code (graph/, cost/) only talks to this interface: it never names a mixer kind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/count.h"
#include "core/op_counts.h"
#include "core/units.h"
#include "mixers/fields.h"
#include "mixers/reference.h"

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
  // A compressed term keeps one entry of elements_per_token per tokens_per_entry tokens, one for
  // each complete group (DeepSeek V4's 4× and 128× compressors); the tokens of the group not yet
  // complete live in the layer's state. 1 for every uncompressed term.
  std::uint64_t tokens_per_entry = 1;
  bool chunked = false;  // max_tokens is a local-attention chunk (restarts), not a sliding window
  std::uint64_t elements_per_sequence = 0;
  std::optional<DType> dtype;               // overrides the model's dtype for `role`
  std::uint64_t extra_bytes_per_token = 0;  // e.g. a quantisation scale stored beside the data
  // Of elements_per_token, how many are a post-RoPE key kept apart from a compressed latent (MLA's
  // k_rope, Dr). Engine profiles that quantise the latent keep this part in 16 bits
  // (cost/engine.h, `fp8_latent_record`); 0 for every other term.
  std::uint64_t rope_elements_per_token = 0;
  // A conv-state term: the kernel width K; its elements_per_sequence are (K − 1) · channels. An
  // engine that keeps all K columns (transformers) stores elements / (K − 1) · K. 0 otherwise.
  std::uint64_t conv_kernel = 0;
  // An MLA latent term: the elements per token of the per-head keys and values the latent expands
  // into, H · (Dnope + Dr) + H · Dv, for engines that cache those instead (cost/engine.h,
  // `decompressed_latent_kinds`); 0 for every other term.
  std::uint64_t decompressed_elements_per_token = 0;
};

// Parameters of one layer's mixer by component: "projections" (matrix weights only, so that
// 2·projections FLOPs per token is their matmul cost), "norms", "conv", "biases", "gates"
// (decay/step parameters such as A_log, dt_bias, D), "indexer", "sinks". The layer's pre-norm
// is counted by the model (cost/params), not here. Counts are checked: formulas are written with
// Count operands only (shape fields are bound to Count locals first), so an absurd size is an
// error, never a wrapped number.
using ParamCounts = std::map<std::string, Count>;

struct ParamContext {
  Count d_model = 0;  // D: the width the mixer reads from and writes back to
};

// One parameter tensor of a layer's mixer, named as transformers names it inside the mixer's
// module ("q_proj.weight", "conv1d.bias", "A_log"), with the ParamCounts component it belongs to.
// A kind that does not name its tensors gives one unnamed entry per component (named false).
struct WeightTensor {
  std::string name;
  std::string component;
  Count count = 0;
  bool named = true;
};

// The tensors of a layer summed by component: a kind's params() is this of its weight_tensors(),
// so that the names and the counts cannot drift apart. Empty tensors (count 0) are dropped.
inline ParamCounts params_by_component(const std::vector<WeightTensor>& tensors) {
  ParamCounts counts;
  for (const WeightTensor& tensor : tensors)
    if (tensor.count > 0) counts[tensor.component] += tensor.count;
  return counts;
}

// Causal-mask convention of attention FLOPs: `half` counts only the pairs a causal mask keeps
// (FlashAttention, mixers-spec §0 "prefill"); `full` counts every query against every key it
// could see without the causal triangle (Kaplan et al. 2020 style: T·min(T, W) pairs).
enum class CausalConvention { half, full };
// Algorithm of linear/recurrent mixers in prefill: token by token, or chunks of C (papers quote
// the chunked one). Decode is always one recurrent step.
enum class LinearAlgorithm { recurrent, chunked };

struct FlopContext {
  std::uint64_t d_model = 0;
  CausalConvention causal = CausalConvention::half;
  LinearAlgorithm linear = LinearAlgorithm::chunked;
  std::uint64_t chunk = 64;  // C
};

// A layer that reads an earlier layer's KV cache (Layer::kv_shared_from) keeps none and computes
// no keys or values of its own. Its k/v projection weights are absent (YOCO's cross-decoder in
// SambaY, Hymba) or stored in the checkpoint but never run (gemma-3n's kv-shared layers): those
// are parameters under the component kUnusedWeights, neither active nor multiplied.
enum class SharedKvWeights { absent, unused };
inline constexpr std::string_view kUnusedWeights = "unused k/v weights";

// Top-k key selection (DSA): a layer whose indexer selects the keys it attends to, or one that
// runs no indexer and reuses the selection of the nearest earlier layer that makes one (GLM-5's
// "shared" indexer layers). The graph links each reusing layer to that layer
// (Layer::selection_from).
struct TopkSelection {
  enum class Role { makes, reuses };
  Role role = Role::makes;
  std::uint64_t topk = 0;
};

// One weight matrix of the mixer as a matrix product runs it: `in_features` → `out_features` per
// token. Under tensor parallelism a column-parallel matrix splits its outputs over the ranks, a
// row-parallel one (the output projection back to D) its inputs.
struct ProjectionShape {
  std::string name;
  double in_features = 0;
  double out_features = 0;
  bool row_parallel = false;
};

// The default: all of params()["projections"] as one D → projections/D product (same FLOPs and
// weight bytes; mixers that know their matrices override Mixer::projection_shapes).
inline std::vector<ProjectionShape> fused_projection(const ParamCounts& params, double d_model) {
  const auto found = params.find("projections");
  if (found == params.end() || d_model <= 0) return {};
  return {{"projections", d_model, static_cast<double>(found->second) / d_model, false}};
}

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

  // Parameter count of this layer's mixer, by component (see ParamCounts).
  virtual ParamCounts params(const ParamContext& context) const = 0;
  // The same weights tensor by tensor (attnsim params --by tensor); they add up to params().
  virtual std::vector<WeightTensor> weight_tensors(const ParamContext& context) const {
    std::vector<WeightTensor> tensors;
    for (const auto& [component, count] : params(context))
      tensors.push_back({component, component, count, false});
    return tensors;
  }
  // FLOPs of one sequence, by operation ("projections", "scores", "av", "state_update", "conv",
  // "indexer", ...): a prefill of T tokens from an empty cache, and one decode step that sees
  // L tokens of context (its own included). One multiply-add = 2 FLOPs (mixers-spec §0).
  virtual FlopCounts prefill_flops(const FlopContext& context, std::uint64_t tokens) const = 0;
  virtual FlopCounts decode_flops(const FlopContext& context,
                                  std::uint64_t context_tokens) const = 0;
  // Heads n over which tensor parallelism splits this mixer's caches: at tp ranks each rank
  // holds max(1, n / tp) of them (GQA kv heads replicate when tp > Hkv). 1 means the cache is
  // replicated on every rank (MLA's latent, DSA's indexer keys); linear/SSM mixers split their
  // state by value head.
  virtual std::uint64_t cache_split_heads() const = 0;
  // This layer reading another layer's KV cache of the same layout instead of keeping its own
  // (Layer::kv_shared_from): the same queries, core and output; no KV cache term, no k/v
  // projections or norms (or kept under kUnusedWeights), no k/v projection FLOPs; its reference
  // binding sets `reads_kv` (mixers/reference.h). nullptr: the kind cannot read a shared cache.
  virtual std::unique_ptr<Mixer> reading_shared_kv(SharedKvWeights) const { return nullptr; }
  // Whether this layer makes or reuses a top-k key selection; none for most mixers.
  virtual std::optional<TopkSelection> topk_selection() const { return std::nullopt; }
  // The matrices of params()["projections"] as the time model runs them (cost/step_time.h);
  // their weights must add up to that count.
  virtual std::vector<ProjectionShape> projection_shapes(const ParamContext& context) const {
    return fused_projection(params(context), static_cast<double>(context.d_model));
  }
  // The axis sizes and scalars of this instance's reference session (mixers/reference.h), as
  // its kind's signature names them; nullopt when the variant has no reference form (chunked
  // local attention).
  virtual std::optional<reference::Binding> reference_binding() const { return std::nullopt; }
};

// 2·T FLOPs per projection weight: each matrix weight does one multiply-add per token.
inline FlopCounts projection_flops(const ParamCounts& params, double tokens) {
  FlopCounts flops;
  const auto found = params.find("projections");
  if (found != params.end())
    add_macs(flops, "projections", static_cast<double>(found->second) * tokens);
  return flops;
}

// The projections' FLOPs and a depthwise conv's: each conv tap of each channel is also one
// multiply-add per token (2·T FLOPs per "conv" weight); a mixer without a conv has no entry.
inline FlopCounts projection_and_conv_flops(const ParamCounts& params, double tokens) {
  FlopCounts flops = projection_flops(params, tokens);
  const auto found = params.find("conv");
  if (found != params.end()) add_macs(flops, "conv", static_cast<double>(found->second) * tokens);
  return flops;
}

// A registered mixer kind: its YAML name, one line for `attnsim kinds`, its parameters (read
// and validated through the table; unknown keys are rejected after the factory), what it keeps
// between steps and the forms of its reference kernel (the first is the default).
struct MixerKind {
  std::string_view kind;
  std::string_view summary;
  const FieldTable* fields = nullptr;
  std::unique_ptr<Mixer> (*from_fields)(const FieldValues& values) = nullptr;
  std::vector<std::string_view> cache;  // one line per cache term: name (role): size
  std::vector<std::string_view> forms;
  // How papers and model cards name each Mixer::layer_kind() this kind produces; `long_name`
  // tells apart layer kinds whose short names coincide within one model (SmolLM3 mixes RoPE and
  // NoPE global attention).
  struct LayerName {
    std::string_view layer_kind, short_name, long_name;
  };
  std::vector<LayerName> layer_names;
  const reference::Facet* reference = nullptr;  // its reference execution (mixers/reference.h)
};

const std::vector<MixerKind>& mixer_kinds();
std::vector<std::string> mixer_kind_names();
const MixerKind* find_mixer_kind(std::string_view kind);  // nullptr if not registered

// Builds a mixer from its YAML map: looks up `kind:` (with a "did you mean"), lets the kind
// read its parameters, then rejects unknown keys. Used for instances and nested mixers.
std::unique_ptr<Mixer> make_mixer(config::MapReader& reader);
// The same from YAML text, e.g. a facet's test or benchmark instance.
std::unique_ptr<Mixer> parse_mixer(const std::string& yaml);

}  // namespace attnsim
