// Parameter counts of a whole model: embeddings, lm head, each layer's mixer (asked through
// Mixer::params) and FFN (ffn_params), layer norms. Totals and what one token uses ("active").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/architecture.h"

namespace attnsim {

// One component summed over the model, e.g. {"gated_attn", "projections"} or {"ffn",
// "routed_experts"}. `group` is a layer kind (Mixer::layer_kind), "ffn", or "model".
struct ParamRow {
  std::string group;
  std::string component;
  std::uint64_t total = 0;
  std::uint64_t active = 0;
};

// Conventions:
// - total: every weight of the layer graph plus embeddings and (untied) lm head. MTP modules,
//   vision towers and other parts outside the graph are not counted.
// - active: the weights one token's forward pass multiplies with — everything but the input
//   embedding table (a lookup reads one row of it) and, in MoE layers, only the router, the
//   shared experts and top_k routed experts. The lm head is counted (tied or not). This is the
//   convention of the gpt-oss model card (5.13B active) and of NVIDIA's "3.2B active (3.6B
//   with embeddings)"; active_with_embeddings adds the input table back.
// - stored_rows: tensors a checkpoint stores beyond the parameters, which transformers keeps
//   as buffers (DeepSeek-V3's router e_score_correction_bias): not in the total, listed apart.
// - mtp_rows: the multi-token prediction modules (Architecture::mtp), apart from the total as
//   model cards count them ("671B" for DeepSeek-V3 excludes its MTP module). They share the
//   main model's embedding table and lm head, which they do not count again.
struct ParamReport {
  std::string name;
  DType weights_dtype = DType::bf16;
  std::vector<ParamRow> rows;  // embeddings, lm head, per layer kind, ffn, norms
  std::uint64_t total = 0;
  std::uint64_t active = 0;
  std::uint64_t active_with_embeddings = 0;
  std::vector<ParamRow> mtp_rows;  // group "mtp"; active 0: decoding does not run them
  std::uint64_t mtp_total = 0;
  std::vector<ParamRow> stored_rows;  // group "ffn"; not parameters, not in total or active
  std::uint64_t stored_total = 0;
  // The file's source.unverified key paths: a count built on them is only as good as they are.
  std::vector<std::string> unverified;
  // The file's unknown_params: parts left out of the count, which makes total and active lower
  // bounds ("≥ ..."), never complete figures.
  std::vector<UnknownParams> unknown;
  bool lower_bound() const { return !unknown.empty(); }
};

// Gemma 3n's weights around the blocks (ModelDims::per_layer_embeddings, altup_inputs,
// laurel_rank), each its own group so that a reader sees what each feature weighs. The per-layer
// embedding table is a lookup like the input table: not active, and a step reads one row per token.
inline constexpr std::string_view kPerLayerEmbeddings = "per-layer embeddings";
inline constexpr std::string_view kPerLayerEmbeddingTable =
    "table (a lookup; may live off the accelerator)";
inline constexpr std::string_view kAltUp = "altup";
// ModelDims::meta_tokens: M × D learned vectors, run once per sequence (not active).
inline constexpr std::string_view kMetaTokens = "meta tokens";
inline constexpr std::string_view kLaurel = "laurel";
// DeepSeek V4's hyper-connections (ModelDims::hyper_connections): the mixing weights around each
// block and before the head, all active (fp32 in the checkpoint, counted as parameters like any).
inline constexpr std::string_view kHyperConnections = "hyper-connections";

// A layer that runs another layer's weights (Layer::weights_shared_from) adds no parameters;
// with `Invocations::each`, its weights are counted again at every invocation, as a forward
// step reads them (the roofline's weight traffic).
enum class Invocations { once, each };

ParamReport model_params(const Architecture& architecture,
                         Invocations invocations = Invocations::once);
// The total when it is complete; a UserError naming the unknown parts otherwise. For
// computations that need every weight (`what`: "the weights' bytes of fit"), where a lower
// bound would silently understate the answer.
std::uint64_t exact_params_total(const Architecture& architecture, std::string_view what);

}  // namespace attnsim
