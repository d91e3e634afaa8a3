// Reference execution of DeepSeek V4's compressed attention (README.md): the KV compressor's
// gated pooling, the indexer's top-k over compressed entries (CSA) and one softmax with a
// per-head sink over the sliding window plus the compressed entries, all against one shared
// key = value head. It follows DeepSeek-V4's reference inference/model.py (Compressor.forward,
// Indexer.forward, Attention.forward, get_window_topk_idxs, get_compress_topk_idxs) and
// kernel.py's sparse_attn, read at Nicooo-Wang/DeepSeek-V4-Pro-code@0ec3a03c (a copy of the
// reference inference folder; the TileLang sparse_attn is quoted line by line in public notes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/op_counts.h"
#include "core/tensor.h"

namespace attnsim::compressed_attn {

// parallel: the prefill pools every complete group at once (model.py's start_pos == 0 path);
// recurrent: token by token through kv_state / score_state (its decode path). Decode steps
// always run the recurrent path, as the reference does.
enum class Form { parallel, recurrent };

struct CompressorWeights {
  Tensor ape;   // [m, C]: added to each token's gate scores by its place in the group
  Tensor norm;  // [Dc]: RMSNorm weight of the pooled entry (C = coff·Dc, coff = 2 with overlap)
};

struct Options {
  std::optional<std::int64_t> window;  // W; none: every token
  std::int64_t compress_ratio = 0;     // m; 0: no compressed entries
  bool overlap = false;                // entries pool the previous group too (m = 4 in V4)
  std::int64_t topk = 0;               // k; 0: no indexer (attend to every entry)
  std::int64_t rope_dim = 0;           // the last rope_dim channels rotate (interleaved pairs)
  std::optional<double> scale;         // default D^−1/2
  std::optional<double> index_scale;   // default dI^−1/2
  double rope_theta = 10000.0;
  double eps = 1e-6;
  Form form = Form::parallel;
  Precision precision = Precision::float64;
  // The indexer's arithmetic (its compressor, scores and top-k); none: `precision`. float64 in
  // a float32 run selects exactly the entries a float64 run does (README "Indexer precision").
  std::optional<Precision> indexer_precision;
};

struct Layer {
  Tensor attn_sink;              // [H]: one logit per head in the denominator, value zero
  CompressorWeights compressor;  // the attention's (Dc = D), when compress_ratio > 0
  CompressorWeights indexer;     // the indexer's own compressor (Dc = dI), when topk > 0
};

// One step's tokens, as model.py forms them from x before the kernel.
struct StepInputs {
  Tensor q;            // [B, T, H, D]: wq_b(q_norm(wq_a x)), RMS per head; before RoPE
  Tensor kv;           // [B, T, D]: kv_norm(wkv x); before RoPE
  Tensor comp_kv;      // [B, T, C]: compressor.wkv(x)
  Tensor comp_score;   // [B, T, C]: compressor.wgate(x)
  Tensor index_q;      // [B, T, HI, dI]: indexer.wq_b(qr); before RoPE
  Tensor index_w;      // [B, T, HI]: indexer.weights_proj(x)
  Tensor index_kv;     // [B, T, CI]: indexer.compressor.wkv(x)
  Tensor index_score;  // [B, T, CI]: indexer.compressor.wgate(x)
};

struct StepResult {
  Tensor o;                  // [B, T, H, D]: after the inverse RoPE on the last rope_dim
  Tensor lse;                // [B, T, H]: log of the softmax denominator, sink included
  IndexTensor topk_entries;  // [B, T, k] (with an indexer): by index score, ties to the lower
                             // entry, padded with −1
  OpCounts counts;
};

// What a kernel keeps, over the batch, in elements (named as the mixer's cache terms).
struct KeptSizes {
  std::int64_t window = 0, window_tokens = 0;    // min(L, W) rows of D
  std::int64_t entries = 0, n_entries = 0;       // ⌊L/m⌋ rows of D
  std::int64_t state = 0;                        // kv_state + score_state: 2 · coff·m · C
  std::int64_t index_keys = 0, index_state = 0;  // ⌊L/m⌋ rows of dI; 2 · coff·m · CI
};

// The compressed entries of every complete group of m tokens of each sequence, [B, ⌊T/m⌋, Dc]
// (the parallel form, from position 0): gated pooling, RMSNorm, RoPE at the group's first token.
Tensor compress(const Tensor& kv, const Tensor& score, const CompressorWeights& weights,
                std::int64_t compress_ratio, bool overlap, std::int64_t rope_dim,
                double rope_theta = 10000.0, double eps = 1e-6);

// A sequence batch's caches and compressor states, fed step after step (the first is the
// prefill). Throws UserError for inconsistent options, weights or step shapes.
class Kernel {
 public:
  Kernel(const Options& options, Layer layer);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  StepResult step(const StepInputs& inputs);
  KeptSizes kept() const;

  struct Engine;

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace attnsim::compressed_attn
