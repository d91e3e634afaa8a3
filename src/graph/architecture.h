// A model as attnsim sees it: dimensions, dtypes, named mixer and FFN instances, and the layer
// graph — the expanded per-layer list of (mixer, FFN). Everything model-level is a sum over
// this list; a hybrid model is nothing special, just layers with different mixers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "ffn/ffn.h"
#include "mixers/mixer.h"

namespace attnsim {

// The normalisation of every block and of the final norm: RMSNorm keeps a weight of D,
// LayerNorm a weight and a bias (GPT-2).
enum class NormKind { rmsnorm, layernorm };

// The graph holds one entry per layer; a typo like 320000000 must not exhaust memory. The
// importer checks num_hidden_layers against the same bound before it sizes anything.
inline constexpr std::uint64_t kMaxLayers = 100'000;

// Per-layer embeddings (PLE, Gemma 3n): a second token table of vocab_size rows giving every
// layer its own `width`-wide vector, which the layer gates into its residual stream. The table is
// a lookup and may live off the accelerator.
struct PerLayerEmbeddings {
  std::uint64_t vocab_size = 0;  // vocab_size_per_layer_input
  std::uint64_t width = 0;       // hidden_size_per_layer_input
};

struct ModelDims {
  std::uint64_t d_model = 0;
  std::uint64_t vocab_size = 0;
  std::uint64_t n_layers = 0;
  bool tied_embeddings = false;
  std::optional<std::uint64_t> max_context;
  // Weights only (parameter counts, never the cache): the norm kind, a learned absolute
  // position table of this many rows (GPT-2's wpe, n_positions × D), and parallel blocks, in
  // which the mixer and the FFN read one shared pre-norm (Cohere 2, Tiny Aya).
  NormKind norm = NormKind::rmsnorm;
  std::optional<std::uint64_t> learned_positions;
  bool parallel_blocks = false;
  // Gemma 3n's weights around the blocks (weights only; transformers Gemma3nTextModel and
  // Gemma3nTextDecoderLayer): per-layer embeddings, AltUp's extra streams, LAuReL's low-rank
  // residual. cost/params.h says what each counts.
  std::optional<PerLayerEmbeddings> per_layer_embeddings;
  std::optional<std::uint64_t> altup_inputs;  // altup_num_inputs: K residual streams
  std::optional<std::uint64_t> laurel_rank;   // rank of the learned augmented residual
  // Persistent tokens prepended to every sequence (Hymba's meta tokens, num_memory_tokens): M
  // learned vectors of D, which every layer that keeps KV keeps beside its context — a sliding
  // window keeps them beside its W most recent tokens.
  std::optional<std::uint64_t> meta_tokens;
  // Hyper-connections (DeepSeek V4's hc_mult): the residual stream is n copies of D, mixed before
  // and after each mixer and FFN by weights computed from the n·D values (weights only and the
  // work around the blocks; cost/params.cpp and cost/flops.cpp say what each counts).
  std::optional<std::uint64_t> hyper_connections;
};

// Storage types of the caches. Absent ones are not needed by any layer of the model.
struct CacheDTypes {
  DType weights = DType::bf16;
  std::optional<DType> kv_cache;
  std::optional<DType> recurrent_state;
  std::optional<DType> conv_state;

  // The dtype the file names for the tensors of one cache role.
  const std::optional<DType>& for_role(CacheRole role) const {
    return role == CacheRole::kv                ? kv_cache
           : role == CacheRole::recurrent_state ? recurrent_state
                                                : conv_state;
  }
};

struct Layer {
  std::size_t index = 0;
  std::string mixer_name;  // empty: an FFN-only layer
  std::shared_ptr<const Mixer> mixer;
  std::string ffn_name;  // empty: a mixer-only layer
  std::shared_ptr<const FfnSpec> ffn;
  std::optional<std::size_t> kv_shared_from;  // reads this earlier layer's KV cache
  // Runs the mixer and FFN weights of this earlier layer (a looped stack, Nanbeige 4.2; a shared
  // block invoked at several depths, Zamba2): no parameters of its own, but its own cache,
  // FLOPs and weight reads.
  std::optional<std::size_t> weights_shared_from;
  // Attends to the top-k keys this earlier layer's indexer selected (TopkSelection::reuses).
  std::optional<std::size_t> selection_from;
};

// Multi-token prediction modules (DeepSeek-V3 report §2.2; GLM-4.5, Qwen3.5 use the same
// shape). Each module norms the token's embedding and the previous depth's hidden state,
// projects their concatenation 2D → D, runs one block (`block`: a mixer and an FFN of the
// model's), and norms the result for the lm head. Embedding table and lm head are the main
// model's. Decoding without speculation never runs them, so only parameter counts see them.
struct MtpModules {
  std::uint64_t modules = 0;
  Layer block;
};

// Published facts about the model, checked by the sweep test.
struct Expectations {
  std::map<std::string, std::uint64_t> layer_counts;  // by Mixer::layer_kind()
  std::optional<std::uint64_t> kv_bytes_per_token;    // with the file's kv dtype, no windows
  std::optional<std::uint64_t> params_total;
  std::optional<std::uint64_t> params_active;
  // A published KV cache size of one sequence at `context` tokens, in GiB as printed ("9.62"):
  // it must agree within half a unit of its last written digit.
  struct KvPerSequence {
    std::uint64_t context = 0;
    double gib = 0;
    int decimals = 0;  // digits written after the point
  };
  std::optional<KvPerSequence> kv_gib_per_sequence;
  std::vector<std::string> sources;  // where each published figure comes from
};

// A quantitative statement about the model from an article, card or paper ("only 6 attention
// layers, so KV-cache memory drops by roughly 88%"), recorded with its source so that
// `validate` and the reports can say whether the model bears it out (cost/claims.h).
struct Claim {
  std::string says;      // the claim, quoted
  std::string source;    // where it is made
  std::string quantity;  // what it states (cost/claims.h lists them): "kv_saving", "layers:mamba2"
  double value = 0.0;    // the stated value, in the quantity's unit (fractions as 0.88)
  std::optional<std::uint64_t> context;  // the context a context-dependent quantity is read at
  std::optional<double> tolerance;       // absolute, in the quantity's unit; else its default
};

// The quantities a claim may state (cost/claims.h evaluates them); "layers:" is followed by a
// layer kind. Only kv_saving needs a context.
const std::vector<std::string>& claim_quantities();

struct Provenance {
  std::string config;  // e.g. "hf-configs/qwen3-next-80b-a3b-instruct.json"
  // The transformers model_type of that config ("qwen3_next"): whose parameter names
  // `params --by tensor` uses (import/hf_tensor_names.h); empty: Llama's.
  std::string model_type;
  std::vector<std::string> references;  // papers, model cards
  std::vector<std::string> notes;       // deliberate differences, library defaults used
  std::vector<std::string> unverified;  // key paths whose values could not be confirmed
  // Keys (of graph/compare.h) where the file deliberately differs from its config.json; each is
  // explained in notes.
  std::vector<std::string> config_differences;
};

// A part of the model whose parameters are not known (a width no source gives): the file leaves
// it out of the graph and says so, and parameter totals are then lower bounds (cost/params.h).
struct UnknownParams {
  std::string part;    // what is missing, e.g. "FFNs of layers 1-18"
  std::string reason;  // why, e.g. "widths not published"
};

struct Architecture {
  std::string name;  // the file stem
  std::string file;  // as given by the user or found in architectures/
  std::string display_name;
  std::string family;
  std::string params_label;
  ModelDims dims;
  CacheDTypes dtypes;
  std::map<std::string, std::shared_ptr<const Mixer>> mixers;
  std::map<std::string, std::shared_ptr<const FfnSpec>> ffns;
  std::vector<Layer> layers;
  std::optional<MtpModules> mtp;
  // The mixer instance that stands in for linear/SSM layers in "the same model with full
  // attention everywhere"; empty when the model has no attention at all.
  std::string baseline_attention;
  Expectations expect;
  std::vector<Claim> claims;
  Provenance source;
  std::vector<UnknownParams> unknown_params;  // `unknown_params:` of the file
  // Things worth a warning that are not mistakes (a user's file without the registry's
  // bookkeeping keys); the CLI prints them on stderr.
  std::vector<std::string> warnings;
};

// Number of layers per Mixer::layer_kind() (mixer-less layers are not counted).
std::map<std::string, std::uint64_t> count_layer_kinds(const Architecture& architecture);

}  // namespace attnsim
