// The operation walk and its timing (the model is written out in step_time.h).
#include "cost/step_time.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/error.h"
#include "cost/params.h"
#include "ffn/ffn_cost.h"

namespace attnsim {

namespace {
enum class Phase { decode, prefill };

// RoPE as eager PyTorch runs it on q and on k: x·cos + rotate_half(x)·sin, with rotate_half a
// negation and a concatenation — five kernels per tensor (Hugging Face transformers,
// src/transformers/models/llama/modeling_llama.py, rotate_half and apply_rotary_pos_emb).
constexpr double kRopeKernels = 10.0;

struct Walk {
  const Architecture& architecture;
  const RooflineOptions& options;
  Phase phase;
  double tp = 1;
  double tokens = 0;        // rows of every GEMM: B (decode) or B·T (prefill)
  double weight_bytes = 2;  // per weight
  std::vector<StepOp> ops;

  void gemm(const std::string& group, const std::string& name, double count, double m, double n,
            double k) {
    StepOp op;
    op.kind = OpKind::gemm;
    op.group = group;
    op.name = name;
    op.count = count;
    op.m = m;
    op.n = n;
    op.k = k;
    op.flops = 2.0 * m * n * k;
    op.bytes.weight_bytes = n * k * weight_bytes;
    ops.push_back(op);
  }
  // A matrix `in` → `out` per token, split over the ranks by its outputs or (row) its inputs.
  void projection(const std::string& group, const std::string& name, double count, double m,
                  double in, double out, bool row_parallel) {
    if (row_parallel)
      gemm(group, name, count, m, out, in / tp);
    else
      gemm(group, name, count, m, out / tp, in);
  }
  StepOp& pass(const std::string& group, const std::string& name, double count,
               double extra_bytes) {
    StepOp op;
    op.kind = OpKind::elementwise;
    op.group = group;
    op.name = name;
    op.count = count;
    op.extra_bytes = extra_bytes;
    ops.push_back(op);
    return ops.back();
  }
};

// One-layer architectures for each (mixer instance, KV sharing) pair, with how many layers share
// it, so that cost/roofline's rank_cache_bytes does the byte accounting per layer.
struct MixerGroup {
  const Layer* layer = nullptr;
  Architecture single;
  double n_layers = 0;
  // A layer reading another layer's KV cache (kv_shared_from) holds none but reads the owner's
  // every step: the owner as a one-layer architecture, for the bytes its attention reads.
  std::optional<Architecture> kv_owner;
};

std::vector<MixerGroup> mixer_groups(const Architecture& architecture) {
  std::map<std::pair<const Mixer*, bool>, std::size_t> index;
  std::vector<MixerGroup> groups;
  for (const Layer& layer : architecture.layers) {
    if (!layer.mixer) continue;
    const auto key = std::make_pair(layer.mixer.get(), layer.kv_shared_from.has_value());
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      MixerGroup group{&layer, architecture, 0, {}};
      group.single.layers = {layer};
      group.single.dims.n_layers = 1;
      if (layer.kv_shared_from) {
        group.kv_owner = group.single;
        group.kv_owner->layers = {architecture.layers[*layer.kv_shared_from]};
      }
      groups.push_back(std::move(group));
    }
    groups[it->second].n_layers += 1;
  }
  return groups;
}

void mixer_ops(Walk& walk, const MixerGroup& group) {
  const Mixer& mixer = *group.layer->mixer;
  const std::string kind = mixer.layer_kind();
  const RooflineOptions& o = walk.options;
  const double D = static_cast<double>(walk.architecture.dims.d_model);
  const double B = static_cast<double>(o.batch);
  const double n = group.n_layers;
  for (const ProjectionShape& shape : mixer.projection_shapes({walk.architecture.dims.d_model}))
    walk.projection(kind, shape.name, n, walk.tokens, shape.in_features, shape.out_features,
                    shape.row_parallel);

  const FlopContext context{walk.architecture.dims.d_model, o.flops.causal, o.flops.linear,
                            o.flops.chunk};
  FlopCounts flops = walk.phase == Phase::decode ? mixer.decode_flops(context, o.context)
                                                 : mixer.prefill_flops(context, o.prefill_tokens);
  flops.erase("projections");
  const double core_flops = B * total_flops(flops) / walk.tp;
  const std::uint64_t span = walk.phase == Phase::decode ? o.context : o.prefill_tokens;
  const RankCache cache = rank_cache_bytes(group.single, span, o.batch, o.tp, o.cache_dtypes);
  const auto kv = static_cast<double>(
      group.kv_owner
          ? rank_cache_bytes(*group.kv_owner, span, o.batch, o.tp, o.cache_dtypes).kv_bytes
          : cache.kv_bytes);
  const auto state = static_cast<double>(cache.state_bytes);

  StepOp core;
  core.group = kind;
  core.count = n;
  core.flops = core_flops;
  if (kv > 0.0 || state == 0.0) {
    core.name = "attention";
    core.kind = walk.phase == Phase::decode ? OpKind::decode_attention : OpKind::prefill_attention;
    core.batch = B;
    core.bytes.kv_bytes = kv;
    walk.ops.push_back(core);
    // RoPE on q and k and the cache write: each reads and writes about the new tokens' KV.
    const RankCache one = rank_cache_bytes(group.single, 1, o.batch, o.tp, o.cache_dtypes);
    const double new_kv = static_cast<double>(one.kv_bytes) *
                          (walk.phase == Phase::decode ? 1.0 : static_cast<double>(span));
    if (new_kv > 0.0) {
      walk.pass(kind, "rope", n * kRopeKernels, 2.0 * new_kv);
      walk.pass(kind, "kv_write", n * 2.0, new_kv);  // K and V copied into the cache
      walk.pass(kind, "attention_output", n, walk.tokens * 4.0 * D / walk.tp);  // head-major copy
    }
  }
  if (state > 0.0) {
    StepOp update;
    update.group = kind;
    update.count = n;
    update.name = "state";
    update.flops = kv > 0.0 ? 0.0 : core_flops;
    if (walk.phase == Phase::decode) {
      update.kind = OpKind::state_update;
      update.bytes.state_bytes = 2.0 * state;  // read and written once
    } else {
      update.kind = OpKind::scan;
      update.bytes.state_bytes = state;  // written once
    }
    walk.ops.push_back(update);
  }
  // Pre-norm (the roofline's activation bytes) and the residual add.
  walk.pass(kind, "norm", n, 0.0).bytes.activation_bytes = walk.tokens * 4.0 * D / walk.tp;
  walk.pass(kind, "residual", n, walk.tokens * 6.0 * D / walk.tp);
}

void ffn_ops(Walk& walk, const FfnSpec& spec, double n) {
  const double D = static_cast<double>(walk.architecture.dims.d_model);
  const double matrices = matrices_per_expert(spec.activation);
  const double T = walk.tokens;
  auto up_act_down = [&](const std::string& prefix, double count, double m, double in,
                         double width) {
    walk.projection("ffn", prefix + "up", count, m, in, (matrices - 1.0) * width, false);
    // act(gate) · up: two kernels when gated (the activation, then the product), one otherwise.
    const double kernels = matrices - 1.0;
    walk.pass("ffn", prefix + "activation", count * kernels,
              m * (matrices + 0.0) * width * 2.0 / walk.tp / kernels);
    walk.projection("ffn", prefix + "down", count, m, width, in, true);
  };
  for (const auto& [operation, per_token] :
       ffn_flops_per_token(spec, walk.architecture.dims.d_model)) {
    if (operation == "mlp") {
      up_act_down("", n, T, D, static_cast<double>(spec.d_ff));
    } else if (operation == "experts") {
      const double touched = expected_experts_touched(spec.n_experts, spec.top_k, T);
      const double rows = T * static_cast<double>(spec.top_k) / touched;
      const double in = spec.latent_dim > 0 ? static_cast<double>(spec.latent_dim) : D;
      up_act_down("experts_", n * touched, rows, in, static_cast<double>(spec.expert_width));
    } else {  // shared experts, router, latent projections: one D-input product each
      walk.projection("ffn", operation, n, T, D, per_token / (2.0 * D), false);
    }
  }
  walk.pass("ffn", "norm", n, 0.0).bytes.activation_bytes = T * 4.0 * D / walk.tp;
  walk.pass("ffn", "residual", n, T * 6.0 * D / walk.tp);
}

// The work around the blocks (cost/flops.h's block_extra_ops, which flops and the roofline
// count): each product a GEMM of its shape, split over the ranks by its outputs; the stream
// mixing (AltUp, hyper-connections) an elementwise kernel reading and writing its streams (2 bytes
// a value, as the roofline's activations) with its FLOPs; the per-layer embedding table a lookup of
// one row of n_layers·w per token, as the roofline reads it.
void block_extra_ops_of(Walk& walk) {
  const ModelDims& dims = walk.architecture.dims;
  for (const BlockExtraOp& op :
       block_extra_ops(dims, static_cast<double>(walk.architecture.layers.size()))) {
    if (op.matmul()) {
      walk.projection(op.group, op.name, op.count, walk.tokens, op.in_features, op.out_features,
                      false);
    } else {
      StepOp& mixing =
          walk.pass(op.group, op.name, op.count, walk.tokens * op.mixing_values * 4.0 / walk.tp);
      mixing.flops = walk.tokens * op.mixing_flops / walk.tp;
    }
  }
  if (const auto& ple = dims.per_layer_embeddings) {
    StepOp& lookup = walk.pass(std::string(kPerLayerEmbeddings), "lookup", 1, 0.0);
    lookup.bytes.weight_bytes = std::min(walk.tokens, static_cast<double>(ple->vocab_size)) *
                                static_cast<double>(dims.n_layers) *
                                static_cast<double>(ple->width) * walk.weight_bytes / walk.tp;
  }
}

std::vector<StepOp> walk_ops(const Architecture& architecture, const RooflineOptions& options,
                             Phase phase) {
  ATTNSIM_ASSERT(options.tp > 0 && options.batch > 0, "tp and batch are validated by the CLI");
  Walk walk{architecture, options, phase, 1.0, 0.0, 2.0, {}};
  walk.tp = static_cast<double>(options.tp);
  walk.tokens = static_cast<double>(options.batch) *
                (phase == Phase::decode ? 1.0 : static_cast<double>(options.prefill_tokens));
  walk.weight_bytes =
      dtype_bytes_per_element(options.weights_dtype.value_or(architecture.dtypes.weights));
  const double D = static_cast<double>(architecture.dims.d_model);
  const double V = static_cast<double>(architecture.dims.vocab_size);

  for (const MixerGroup& group : mixer_groups(architecture)) mixer_ops(walk, group);
  std::map<const FfnSpec*, double> ffns;
  for (const Layer& layer : architecture.layers)
    if (layer.ffn) ffns[layer.ffn.get()] += 1.0;
  for (const auto& [spec, n] : ffns) ffn_ops(walk, *spec, n);
  block_extra_ops_of(walk);
  walk.gemm("model", "lm_head", 1, walk.tokens, V / walk.tp, D);
  StepOp& embedding = walk.pass("model", "embedding", 1, 0.0);
  embedding.bytes.weight_bytes = std::min(walk.tokens, V) * D * walk.weight_bytes / walk.tp;

  // Weights outside the matrices (norms, conv, gates, biases): what the roofline reads beyond
  // the products and the embedding rows.
  double walked = 0.0;
  for (const StepOp& op : walk.ops) walked += op.count * op.bytes.weight_bytes;
  const double read = weight_params_read(architecture, walk.tokens) * walk.weight_bytes / walk.tp;
  walk.pass("model", "other_weights", 1, 0.0).bytes.weight_bytes = std::max(read - walked, 0.0);
  return walk.ops;
}
}  // namespace

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::gemm:
      return "gemm";
    case OpKind::decode_attention:
      return "decode_attention";
    case OpKind::prefill_attention:
      return "prefill_attention";
    case OpKind::state_update:
      return "state_update";
    case OpKind::scan:
      return "scan";
    case OpKind::elementwise:
      return "elementwise";
  }
  return "?";
}

std::vector<StepOp> decode_ops(const Architecture& architecture, const RooflineOptions& options) {
  return walk_ops(architecture, options, Phase::decode);
}

std::vector<StepOp> prefill_ops(const Architecture& architecture, const RooflineOptions& options) {
  return walk_ops(architecture, options, Phase::prefill);
}

StepTime time_step(std::vector<StepOp> ops, const GpuMeasurements& gpu) {
  StepTime step;
  for (StepOp& op : ops) {
    OpSeconds t;
    switch (op.kind) {
      case OpKind::gemm:
        t = gemm_seconds(gpu, op.m, op.n, op.k);
        break;
      case OpKind::decode_attention:
        t = decode_attention_seconds(gpu, op.batch, op.bytes.kv_bytes / op.batch, op.flops);
        break;
      case OpKind::prefill_attention:
        t = prefill_attention_seconds(gpu, op.flops);
        break;
      case OpKind::state_update:
        t = state_update_seconds(gpu, op.bytes.state_bytes);
        break;
      case OpKind::scan:
        t = roofline_seconds(gpu, op.flops, op.bytes.total());
        break;
      case OpKind::elementwise:
        t = elementwise_seconds(gpu, op.bytes.total() + op.extra_bytes);
        break;
    }
    op.seconds = t.seconds;
    op.measured = t.measured;
    step.seconds += op.count * t.seconds;
    if (!t.measured) step.unmeasured_seconds += op.count * t.seconds;
    step.flops += op.count * op.flops;
    step.bytes.weight_bytes += op.count * op.bytes.weight_bytes;
    step.bytes.kv_bytes += op.count * op.bytes.kv_bytes;
    step.bytes.state_bytes += op.count * op.bytes.state_bytes;
    step.bytes.activation_bytes += op.count * op.bytes.activation_bytes;
  }
  step.ops = std::move(ops);
  return step;
}

}  // namespace attnsim
