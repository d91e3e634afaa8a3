// DeepSeek V4's compressed attention, per sequence: (1) the window keys, RoPE'd at their
// positions; (2) the compressor(s) turn each complete group of m tokens into one entry; (3) per
// query, the indexer picks the top-k visible entries (CSA) or takes them all (HCA), and one
// softmax with the head's sink runs over window keys and entries, K = V.
#include "mixers/compressed_attn/reference.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/precision.h"
#include "mixers/common/parallel.h"
#include "mixers/common/rope.h"
#include "mixers/common/top_k.h"
#include "mixers/common/vector_exp.h"

namespace attnsim::compressed_attn {

struct Kernel::Engine {
  virtual ~Engine() = default;
  virtual StepResult step(const StepInputs& inputs) = 0;
  virtual KeptSizes kept() const = 0;
};

namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

[[noreturn]] void reject(const std::string& key, const std::string& expected,
                         const std::string& found) {
  throw UserError(SourceLocation{}, key, expected, found);
}

void validate_options(const Options& o) {
  if (o.window && *o.window < 1) reject("window", "≥ 1", std::to_string(*o.window));
  if (o.compress_ratio < 0) reject("compress_ratio", "≥ 0", std::to_string(o.compress_ratio));
  if (o.compress_ratio == 0 && o.overlap) reject("overlap", "false without compress_ratio", "true");
  if (o.topk < 0) reject("topk", "≥ 0", std::to_string(o.topk));
  if (o.compress_ratio == 0 && o.topk > 0)
    reject("topk", "0 without compress_ratio (the indexer picks entries)", std::to_string(o.topk));
  if (o.indexer_precision && o.topk == 0)
    reject("indexer_dtype", "none without topk (no indexer runs)",
           precision_name(*o.indexer_precision));
  if (o.rope_dim < 0 || o.rope_dim % 2 != 0)
    reject("rope_dim", "an even number ≥ 0", std::to_string(o.rope_dim));
}

// Sizes fixed by the first step and held by every later one.
struct Dims {
  std::int64_t B = 0, H = 0, D = 0, C = 0, HI = 0, dI = 0, CI = 0;
};

// Checks a step against the options, the layer tensors and (after the first) the earlier steps.
Dims validate_step(const StepInputs& in, const Options& o, const Layer& layer, const Dims* fixed) {
  require_rank(in.q.shape, 4, "q", "[B, T, H, D]");
  Dims d;
  const std::int64_t T = in.q.dim(1);
  d.B = in.q.dim(0), d.H = in.q.dim(2), d.D = in.q.dim(3);
  if (fixed) require_shape(in.q.shape, {fixed->B, T, fixed->H, fixed->D}, "q", "B,T,H,D");
  require_shape(in.kv.shape, {d.B, T, d.D}, "kv", "B,T,D");
  require_shape(layer.attn_sink.shape, {d.H}, "attn_sink", "H");
  const std::int64_t coff = o.overlap ? 2 : 1, m = o.compress_ratio;
  if (o.rope_dim > d.D)
    reject("rope_dim", "≤ D = " + std::to_string(d.D), std::to_string(o.rope_dim));
  if (m > 0) {
    d.C = coff * d.D;
    require_shape(in.comp_kv.shape, {d.B, T, d.C}, "comp_kv", o.overlap ? "B,T,2·D" : "B,T,D");
    require_shape(in.comp_score.shape, {d.B, T, d.C}, "comp_score",
                  o.overlap ? "B,T,2·D" : "B,T,D");
    require_shape(layer.compressor.ape.shape, {m, d.C}, "comp_ape", o.overlap ? "m,2·D" : "m,D");
    require_shape(layer.compressor.norm.shape, {d.D}, "comp_norm", "D");
  }
  if (o.topk > 0) {
    require_rank(in.index_q.shape, 4, "index_q", "[B, T, HI, dI]");
    d.HI = in.index_q.dim(2), d.dI = in.index_q.dim(3), d.CI = coff * d.dI;
    if (fixed) {
      d.HI = fixed->HI, d.dI = fixed->dI, d.CI = fixed->CI;
    }
    require_shape(in.index_q.shape, {d.B, T, d.HI, d.dI}, "index_q", "B,T,HI,dI");
    require_shape(in.index_w.shape, {d.B, T, d.HI}, "index_w", "B,T,HI");
    const char* axes = o.overlap ? "B,T,2·dI" : "B,T,dI";
    require_shape(in.index_kv.shape, {d.B, T, d.CI}, "index_kv", axes);
    require_shape(in.index_score.shape, {d.B, T, d.CI}, "index_score", axes);
    require_shape(layer.indexer.ape.shape, {m, d.CI}, "index_ape", o.overlap ? "m,2·dI" : "m,dI");
    require_shape(layer.indexer.norm.shape, {d.dI}, "index_norm", "dI");
    if (o.rope_dim > d.dI)
      reject("rope_dim", "≤ dI = " + std::to_string(d.dI), std::to_string(o.rope_dim));
  }
  return d;
}

// RoPE on the last rope_dim channels of a width-wide row (model.py: x[..., -rd:]).
template <class S>
void rope_tail(S* row, std::int64_t width, std::int64_t rope_dim, double position, double theta) {
  if (rope_dim > 0)
    mixers::apply_rope(row + width - rope_dim, rope_dim, position, theta,
                       mixers::RopeStyle::interleaved);
}

// The candidate rows of one entry, [R, Dc] each: score (+ ape) and kv, then pooled per channel:
// out[c] = Σ_r softmax_r(score[r][c]) · kv[r][c] (model.py: (kv * score.softmax(dim)).sum(dim)).
template <class S>
struct Candidates {
  std::vector<S> score, kv;
  std::int64_t rows = 0;

  void clear() { score.clear(), kv.clear(), rows = 0; }
  void add(const S* score_row, const S* kv_row, std::int64_t Dc) {
    score.insert(score.end(), score_row, score_row + Dc);
    kv.insert(kv.end(), kv_row, kv_row + Dc);
    ++rows;
  }
  // Column maxima, one exp pass over the block (AVX2 where the CPU has it), then the sums in
  // row order; a −inf row (no previous group yet in the state) weighs 0.
  void pool(std::int64_t Dc, std::vector<S>& out, std::vector<S>& den) {
    out.assign(score.begin(), score.begin() + Dc);
    for (std::int64_t r = 1; r < rows; ++r)
      for (std::int64_t c = 0; c < Dc; ++c) out[c] = std::max(out[c], score[r * Dc + c]);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < Dc; ++c) score[r * Dc + c] -= out[c];
    mixers::exp_in_place(score.data(), rows * Dc);
    den.assign(static_cast<std::size_t>(Dc), S{0});
    std::fill(out.begin(), out.end(), S{0});
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < Dc; ++c) {
        const S w = score[r * Dc + c];
        out[c] += w * kv[r * Dc + c];
        den[c] += w;
      }
    for (std::int64_t c = 0; c < Dc; ++c) out[c] /= den[c];
  }
};

// Groups pooled per task of the parallel form.
constexpr std::int64_t kGroupsPerTask = 32;

// One sequence's compressor (model.py Compressor): its state and the entries it has made.
template <class S>
class Pooler {
 public:
  Pooler(const CompressorWeights& w, const Options& o, std::int64_t Dc)
      : w_(w), o_(o), m_(o.compress_ratio), Dc_(Dc), C_((o.overlap ? 2 : 1) * Dc) {
    const std::int64_t rows = (o.overlap ? 2 : 1) * m_;
    kv_state_.assign(static_cast<std::size_t>(rows * C_), S{0});
    score_state_.assign(static_cast<std::size_t>(rows * C_), -std::numeric_limits<S>::infinity());
  }
  std::int64_t count() const { return n_; }
  const S* entry(std::int64_t i) const { return entries_.data() + i * Dc_; }
  std::int64_t state_elements() const { return static_cast<std::int64_t>(2 * kv_state_.size()); }

  // The parallel form over tokens 0 .. T−1 (model.py, start_pos == 0): every complete group g
  // pools its own tokens' channels (the second half with overlap) and, with overlap, group
  // g − 1's first half; then the state keeps the last complete group and the remainder.
  void prefill(const double* kv, const double* score, std::int64_t T) {
    const std::int64_t groups = T / m_, offset = o_.overlap ? m_ : 0;
    entries_.resize(static_cast<std::size_t>(groups * Dc_));
    n_ = groups;
    // Each group's entry depends only on the step's rows: blocks of groups over the threads.
    const std::int64_t blocks = (groups + kGroupsPerTask - 1) / kGroupsPerTask;
    mixers::parallel_for(blocks, [&](std::int64_t block) {
      Candidates<S> candidates;
      std::vector<S> score_row(static_cast<std::size_t>(Dc_)), kv_row(score_row), pooled, den;
      const auto add = [&](std::int64_t t, std::int64_t j, std::int64_t c0) {
        for (std::int64_t c = 0; c < Dc_; ++c) {
          score_row[c] = static_cast<S>(score[t * C_ + c0 + c]) +
                         static_cast<S>(w_.ape[static_cast<std::size_t>(j * C_ + c0 + c)]);
          kv_row[c] = static_cast<S>(kv[t * C_ + c0 + c]);
        }
        candidates.add(score_row.data(), kv_row.data(), Dc_);
      };
      const std::int64_t g1 = std::min(groups, (block + 1) * kGroupsPerTask);
      for (std::int64_t g = block * kGroupsPerTask; g < g1; ++g) {
        candidates.clear();
        if (o_.overlap && g > 0)
          for (std::int64_t j = 0; j < m_; ++j) add((g - 1) * m_ + j, j, 0);
        for (std::int64_t j = 0; j < m_; ++j) add(g * m_ + j, j, offset > 0 ? Dc_ : 0);
        candidates.pool(Dc_, pooled, den);
        finish(pooled, g * m_, entries_.data() + g * Dc_);
      }
    });
    if (o_.overlap && groups > 0)
      for (std::int64_t j = 0; j < m_; ++j) store(j, kv, score, (groups - 1) * m_ + j);
    for (std::int64_t t = groups * m_; t < T; ++t) store(offset + t - groups * m_, kv, score, t);
  }

  // The recurrent form, one token at position p (model.py, start_pos > 0): into the state; a
  // complete group pools the state's rows (with overlap: rows 0..m−1 hold the previous group,
  // their first half pooled, rows m..2m−1 this one, their second half), then shifts it down.
  void push(const double* kv, const double* score, std::int64_t p) {
    const std::int64_t j = p % m_, offset = o_.overlap ? m_ : 0;
    store(offset + j, kv, score, 0);
    if (j != m_ - 1) return;
    Candidates<S> candidates;
    for (std::int64_t r = 0; r < (o_.overlap ? 2 : 1) * m_; ++r) {
      const std::int64_t at = r * C_ + (r >= offset && o_.overlap ? Dc_ : 0);
      candidates.add(score_state_.data() + at, kv_state_.data() + at, Dc_);
    }
    std::vector<S> pooled, den;
    candidates.pool(Dc_, pooled, den);
    entries_.resize(entries_.size() + static_cast<std::size_t>(Dc_));
    finish(pooled, p + 1 - m_, entries_.data() + n_++ * Dc_);
    if (o_.overlap) {
      std::copy_n(kv_state_.begin() + m_ * C_, m_ * C_, kv_state_.begin());
      std::copy_n(score_state_.begin() + m_ * C_, m_ * C_, score_state_.begin());
    }
  }

 private:
  // State row `row` ← token t of the step: its kv, and its score + ape of its place in the group.
  void store(std::int64_t row, const double* kv, const double* score, std::int64_t t) {
    const std::int64_t j = (o_.overlap ? row % m_ : row);
    for (std::int64_t c = 0; c < C_; ++c) {
      const auto at = static_cast<std::size_t>(row * C_ + c);
      kv_state_[at] = static_cast<S>(kv[t * C_ + c]);
      score_state_[at] = static_cast<S>(score[t * C_ + c]) +
                         static_cast<S>(w_.ape[static_cast<std::size_t>(j * C_ + c)]);
    }
  }
  // model.py: kv = norm(kv) (RMSNorm with weight), then RoPE on its last rd channels at the
  // group's first token; written to `entry` (Dc wide).
  void finish(const std::vector<S>& pooled, std::int64_t position, S* entry) const {
    S square{0};
    for (const S x : pooled) square += x * x;
    const S inv = S{1} / std::sqrt(square / static_cast<S>(Dc_) + static_cast<S>(o_.eps));
    for (std::int64_t c = 0; c < Dc_; ++c)
      entry[c] = pooled[static_cast<std::size_t>(c)] *
                 (inv * static_cast<S>(w_.norm[static_cast<std::size_t>(c)]));
    rope_tail(entry, Dc_, o_.rope_dim, static_cast<double>(position), o_.rope_theta);
  }

  const CompressorWeights& w_;
  const Options& o_;
  std::int64_t m_, Dc_, C_;
  std::vector<S> kv_state_, score_state_;  // [coff·m, C]
  std::vector<S> entries_;                 // [n, Dc]
  std::int64_t n_ = 0;
};

// Queries per task of the attention (and indexer) pass; index entries per indexer product;
// how many times its queries' own keys a block's shared product may cover (else it is halved).
constexpr std::int64_t kQueriesPerTask = 16;
constexpr std::int64_t kIndexEntriesPerProduct = 256;
constexpr double kUnionWaste = 1.3;

// S: the run's arithmetic; SI: the indexer's (its compressor, scores and top-k).
template <class S, class SI>
class EngineT final : public Kernel::Engine {
 public:
  EngineT(const Options& o, Layer layer) : o_(o), layer_(std::move(layer)) {}

  StepResult step(const StepInputs& in) override {
    const Dims d = validate_step(in, o_, layer_, started_ ? &dims_ : nullptr);
    if (!started_) start(d);
    const std::int64_t T = in.q.dim(1);
    StepResult r;
    r.o = Tensor({d.B, T, d.H, d.D});
    r.lse = Tensor({d.B, T, d.H});
    if (o_.topk > 0) r.topk_entries = IndexTensor({d.B, T, o_.topk}, -1);
    for (std::int64_t b = 0; b < d.B; ++b) {
      Sequence& seq = sequences_[static_cast<std::size_t>(b)];
      // (1) window keys: kv RoPE'd at its position.
      for (std::int64_t t = 0; t < T; ++t) {
        const double* row = in.kv.data.data() + (b * T + t) * d.D;
        const auto at = seq.window.size();
        seq.window.insert(seq.window.end(), row, row + d.D);
        rope_tail(seq.window.data() + at, d.D, o_.rope_dim, static_cast<double>(t0_ + t),
                  o_.rope_theta);
      }
      // (2) the compressors: the indexer's is called first in model.py; they are independent.
      if (o_.compress_ratio > 0) {
        compress(seq.main, in.comp_kv, in.comp_score, b, T, d.C);
        if (o_.topk > 0) compress(*seq.index, in.index_kv, in.index_score, b, T, d.CI);
      }
    }
    // (3) every query of the step, in tasks of (sequence, block of queries), the latest blocks
    // (the most keys) first; each task writes its own rows.
    const std::int64_t blocks = (T + kQueriesPerTask - 1) / kQueriesPerTask;
    mixers::parallel_for_counted(d.B * blocks, r.counts, [&](std::int64_t task, OpCounts& counts) {
      const std::int64_t b = task % d.B, t0 = (blocks - 1 - task / d.B) * kQueriesPerTask;
      const Sequence& seq = sequences_[static_cast<std::size_t>(b)];
      const std::int64_t t1 = std::min(T, t0 + kQueriesPerTask);
      std::vector<std::vector<std::int64_t>> chosen(static_cast<std::size_t>(t1 - t0));
      if (o_.topk > 0) select(in, r, seq, b, t0, t1, T, d, counts, chosen);
      attend(in, r, seq, b, t0, t1, T, d, chosen, t0, counts);
    });
    for (Sequence& seq : sequences_) {
      if (o_.window) {
        const auto keep = static_cast<std::size_t>(*o_.window * d.D);
        if (seq.window.size() > keep)
          seq.window.erase(seq.window.begin(),
                           seq.window.end() - static_cast<std::ptrdiff_t>(keep));
      }
      seq.window_first = t0_ + T - static_cast<std::int64_t>(seq.window.size()) / d.D;
    }
    t0_ += T;
    return r;
  }

  KeptSizes kept() const override {
    KeptSizes k;
    for (const Sequence& seq : sequences_) {
      const auto rows = static_cast<std::int64_t>(seq.window.size()) / dims_.D;
      k.window += rows * dims_.D, k.window_tokens += rows;
      if (o_.compress_ratio == 0) continue;
      k.entries += seq.main.count() * dims_.D, k.n_entries += seq.main.count();
      k.state += seq.main.state_elements();
      if (!seq.index) continue;
      k.index_keys += seq.index->count() * dims_.dI;
      k.index_state += seq.index->state_elements();
    }
    return k;
  }

 private:
  struct Sequence {
    std::vector<S> window;  // rows of D: positions window_first .. t0 − 1 (RoPE'd)
    std::int64_t window_first = 0;
    Pooler<S> main;
    std::optional<Pooler<SI>> index;
  };

  void start(const Dims& d) {
    dims_ = d;
    started_ = true;
    for (std::int64_t b = 0; b < d.B; ++b) {
      sequences_.push_back({{}, 0, Pooler<S>(layer_.compressor, o_, d.D), std::nullopt});
      if (o_.topk > 0) sequences_.back().index.emplace(layer_.indexer, o_, d.dI);
    }
  }

  template <class P>
  void compress(Pooler<P>& pooler, const Tensor& kv, const Tensor& score, std::int64_t b,
                std::int64_t T, std::int64_t C) {
    const double* k = kv.data.data() + b * T * C;
    const double* s = score.data.data() + b * T * C;
    if (o_.form == Form::parallel && t0_ == 0) {
      pooler.prefill(k, s, T);
      return;
    }
    for (std::int64_t t = 0; t < T; ++t) pooler.push(k + t * C, s + t * C, t0_ + t);
  }

  // The indexer (model.py Indexer.forward) for queries [t0, t1) of sequence b:
  // I[e] = Σ_h relu(qI_h · kI_e) · w_h · dI^−1/2 · HI^−1/2 over each query's n_q visible entries;
  // its top min(k, n_q), written to topk_entries. The block's queries and heads are the columns
  // of one product per 256 entries, [256, dI]·[dI, nq·HI], whose ReLU and weighting are read
  // from cache. At the indexer's precision SI (the run's unless Options::indexer_precision).
  void select(const StepInputs& in, StepResult& r, const Sequence& seq, std::int64_t b,
              std::int64_t t0, std::int64_t t1, std::int64_t T, const Dims& d, OpCounts& counts,
              std::vector<std::vector<std::int64_t>>& chosen) const {
    const std::int64_t nq = t1 - t0, n_last = visible_entries(t0_ + t1 - 1);
    if (n_last == 0) return;
    Mat<SI> q(nq * d.HI, d.dI);
    Mat<SI> w(nq, d.HI);
    const double scale = o_.index_scale.value_or(1.0 / std::sqrt(static_cast<double>(d.dI))) /
                         std::sqrt(static_cast<double>(d.HI));
    for (std::int64_t i = 0; i < nq; ++i) {
      const Rotation rotation = rotation_at(static_cast<double>(t0_ + t0 + i));
      q.middleRows(i * d.HI, d.HI) =
          Eigen::Map<const Mat<double>>(in.index_q.data.data() + (b * T + t0 + i) * d.HI * d.dI,
                                        d.HI, d.dI)
              .template cast<SI>();
      for (std::int64_t h = 0; h < d.HI; ++h) rotate(q.row(i * d.HI + h).data(), d.dI, rotation);
      for (std::int64_t h = 0; h < d.HI; ++h)
        w(i, h) = static_cast<SI>(
            in.index_w[static_cast<std::size_t>((b * T + t0 + i) * d.HI + h)] * scale);
    }
    Mat<SI> scores(nq, n_last), products;
    for (std::int64_t e0 = 0; e0 < n_last; e0 += kIndexEntriesPerProduct) {
      const std::int64_t ne = std::min(kIndexEntriesPerProduct, n_last - e0);
      products.resize(nq * d.HI, ne);
      products.noalias() =
          q * Eigen::Map<const Mat<SI>>(seq.index->entry(e0), ne, d.dI).transpose();
      for (std::int64_t i = 0; i < nq; ++i) {
        auto row = scores.row(i).segment(e0, ne);
        row = products.row(i * d.HI).cwiseMax(SI{0}) * w(i, 0);
        for (std::int64_t h = 1; h < d.HI; ++h)
          row += products.row(i * d.HI + h).cwiseMax(SI{0}) * w(i, h);
      }
    }
    for (std::int64_t i = 0; i < nq; ++i) {
      const std::int64_t n = visible_entries(t0_ + t0 + i);
      counts.add("index_scores", d.HI * d.dI * n);
      auto& list = chosen[static_cast<std::size_t>(i)];
      list = mixers::top_k(scores.row(i).data(), n, o_.topk);  // ties to the lower entry
      std::copy(list.begin(), list.end(), r.topk_entries.data.data() + (b * T + t0 + i) * o_.topk);
    }
  }

  std::int64_t visible_entries(std::int64_t p) const {
    return o_.compress_ratio > 0 ? (p + 1) / o_.compress_ratio : 0;
  }
  std::int64_t window_start(std::int64_t p) const {
    return o_.window ? std::max<std::int64_t>(0, p - *o_.window + 1) : 0;
  }

  // RoPE's cos and sin per pair at one position, the arithmetic of mixers::apply_rope, shared
  // by a query's heads, its indexer heads and its output (turned back).
  struct Rotation {
    std::vector<double> cos, sin;
  };
  Rotation rotation_at(double position) const {
    const std::int64_t half = o_.rope_dim / 2;
    Rotation r{std::vector<double>(static_cast<std::size_t>(half)),
               std::vector<double>(static_cast<std::size_t>(half))};
    for (std::int64_t j = 0; j < half; ++j) {
      const double inv_freq =
          std::pow(o_.rope_theta, -2.0 * static_cast<double>(j) / static_cast<double>(o_.rope_dim));
      const double angle = position * inv_freq;
      r.cos[static_cast<std::size_t>(j)] = std::cos(angle);
      r.sin[static_cast<std::size_t>(j)] = std::sin(angle);
    }
    return r;
  }
  // The last rope_dim channels of a width-wide row, interleaved pairs; `inverse` turns back.
  template <class P>
  void rotate(P* row, std::int64_t width, const Rotation& r, bool inverse = false) const {
    P* x = row + width - o_.rope_dim;
    for (std::size_t j = 0; j < r.cos.size(); ++j) {
      const double c = r.cos[j], s = inverse ? -r.sin[j] : r.sin[j];
      const double a = static_cast<double>(x[2 * j]), b = static_cast<double>(x[2 * j + 1]);
      x[2 * j] = static_cast<P>(a * c - b * s);
      x[2 * j + 1] = static_cast<P>(b * c + a * s);
    }
  }

  // Queries [t0, t1) of sequence b (step positions t0_ + t): each attends to the window's last
  // min(p + 1, W) tokens and its chosen entries (every visible one without an indexer). The
  // block's queries share one product against the window rows any of them sees and the union of
  // their entries, the keys a query does not attend to masked; a block whose union would more
  // than kUnionWaste-fold its queries' own keys is halved until it does not (down to single
  // queries, which gather only their own keys).
  void attend(const StepInputs& in, StepResult& r, const Sequence& seq, std::int64_t b,
              std::int64_t t0, std::int64_t t1, std::int64_t T, const Dims& d,
              const std::vector<std::vector<std::int64_t>>& chosen, std::int64_t chosen_t0,
              OpCounts& counts) const {
    const std::int64_t nq = t1 - t0, p0 = t0_ + t0, p1 = t0_ + t1 - 1;
    const std::int64_t first = window_start(p0), n_window = p1 - first + 1;
    // The union of the entries attended to, ascending; column[e]: its place among them (with
    // an indexer; −1 for an entry none of the queries chose).
    std::vector<std::int64_t> entries, column;
    std::int64_t own = 0;  // Σ over the queries of the keys each attends to
    if (o_.topk > 0) {
      column.assign(static_cast<std::size_t>(visible_entries(p1)), -1);
      for (std::int64_t t = t0; t < t1; ++t)
        for (const std::int64_t e : chosen[static_cast<std::size_t>(t - chosen_t0)])
          column[static_cast<std::size_t>(e)] = 0;
      for (std::size_t e = 0; e < column.size(); ++e)
        if (column[e] == 0) {
          column[e] = static_cast<std::int64_t>(entries.size());
          entries.push_back(static_cast<std::int64_t>(e));
        }
    } else {
      entries.resize(static_cast<std::size_t>(visible_entries(p1)));
      std::iota(entries.begin(), entries.end(), 0);
    }
    for (std::int64_t t = t0; t < t1; ++t)
      own += t0_ + t - window_start(t0_ + t) + 1 + n_chosen(chosen, t - chosen_t0, t0_ + t);
    const std::int64_t n = n_window + static_cast<std::int64_t>(entries.size());
    if (nq > 1 && static_cast<double>(nq * n) > kUnionWaste * static_cast<double>(own)) {
      const std::int64_t half = t0 + nq / 2;
      attend(in, r, seq, b, t0, half, T, d, chosen, chosen_t0, counts);
      attend(in, r, seq, b, half, t1, T, d, chosen, chosen_t0, counts);
      return;
    }
    // The keys' rows, copied whole (memcpy, at the CPU's widest moves).
    Mat<S> keys(n, d.D);
    std::copy_n(seq.window.data() + (first - seq.window_first) * d.D, n_window * d.D, keys.data());
    for (std::size_t i = 0; i < entries.size(); ++i)
      std::copy_n(seq.main.entry(entries[i]), d.D,
                  keys.row(n_window + static_cast<std::int64_t>(i)).data());
    // Query rows (query-major: row i·H + h), RoPE'd and scaled.
    const S scale = static_cast<S>(o_.scale.value_or(1.0 / std::sqrt(static_cast<double>(d.D))));
    Mat<S> q(nq * d.H, d.D);
    std::vector<Rotation> rotations;
    for (std::int64_t i = 0; i < nq; ++i) {
      rotations.push_back(rotation_at(static_cast<double>(p0 + i)));
      for (std::int64_t h = 0; h < d.H; ++h) {
        const double* row = in.q.data.data() + ((b * T + t0 + i) * d.H + h) * d.D;
        S* out = q.row(i * d.H + h).data();
        for (std::int64_t c = 0; c < d.D; ++c) out[c] = static_cast<S>(row[c]);
        rotate(out, d.D, rotations.back());
      }
    }
    q *= scale;
    Mat<S> z(nq * d.H, n);
    z.noalias() = q * keys.transpose();
    if (nq > 1) mask(z, chosen, chosen_t0, entries, column, t0, t1, first, n_window, d.H);
    // Softmax with the head's sink in the denominator only (kernel.py sparse_attn).
    Vec<S> inverse(nq * d.H), lse(nq * d.H);
    for (std::int64_t row = 0; row < nq * d.H; ++row) {
      const S sink = static_cast<S>(layer_.attn_sink[static_cast<std::size_t>(row % d.H)]);
      const S top = std::max(z.row(row).maxCoeff(), sink);
      z.row(row).array() -= top;
      mixers::exp_in_place(z.row(row).data(), n);
      const S denominator = z.row(row).sum() + std::exp(sink - top);
      inverse(row) = S{1} / denominator;
      lse(row) = top + std::log(denominator);
    }
    Mat<S> o(nq * d.H, d.D);
    o.noalias() = z * keys;
    for (std::int64_t i = 0; i < nq; ++i) {
      const std::int64_t t = t0 + i;
      const std::int64_t keys_seen =
          t0_ + t - window_start(t0_ + t) + 1 + n_chosen(chosen, t - chosen_t0, t0_ + t);
      counts.add("scores", d.H * d.D * keys_seen);
      counts.add("av", d.H * d.D * keys_seen);
      for (std::int64_t h = 0; h < d.H; ++h) {
        const std::int64_t row = i * d.H + h;
        o.row(row) *= inverse(row);
        rotate(o.row(row).data(), d.D, rotations[static_cast<std::size_t>(i)], true);
        double* out = r.o.data.data() + ((b * T + t) * d.H + h) * d.D;
        for (std::int64_t c = 0; c < d.D; ++c) out[c] = static_cast<double>(o(row, c));
        r.lse[static_cast<std::size_t>((b * T + t) * d.H + h)] = static_cast<double>(lse(row));
      }
    }
  }

  // Entries query t attends to: its chosen ones, or every visible one without an indexer.
  std::int64_t n_chosen(const std::vector<std::vector<std::int64_t>>& chosen, std::int64_t i,
                        std::int64_t p) const {
    return o_.topk > 0 ? static_cast<std::int64_t>(chosen[static_cast<std::size_t>(i)].size())
                       : visible_entries(p);
  }

  // −inf where a query of the block does not attend: window columns [0, n_window) hold
  // positions first.., entry columns the union `entries`. Each row is filled with −inf around
  // the scores it keeps (saved and put back), so no branch per key.
  void mask(Mat<S>& z, const std::vector<std::vector<std::int64_t>>& chosen, std::int64_t chosen_t0,
            const std::vector<std::int64_t>& entries, const std::vector<std::int64_t>& column,
            std::int64_t t0, std::int64_t t1, std::int64_t first, std::int64_t n_window,
            std::int64_t H) const {
    const S minus_inf = -std::numeric_limits<S>::infinity();
    const std::int64_t n_entries = static_cast<std::int64_t>(entries.size());
    std::vector<std::int64_t> kept_columns;
    std::vector<S> kept;
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t p = t0_ + t, i = t - t0;
      const std::int64_t begin = window_start(p) - first, end = p - first + 1;
      // A query that attends to every entry it sees (n ≤ k) keeps the union's first n.
      const bool all_visible =
          o_.topk == 0 || n_chosen(chosen, t - chosen_t0, p) == visible_entries(p);
      if (!all_visible) {
        kept_columns.clear();
        for (const std::int64_t e : chosen[static_cast<std::size_t>(t - chosen_t0)])
          kept_columns.push_back(column[static_cast<std::size_t>(e)]);
        kept.resize(kept_columns.size());
      }
      for (std::int64_t h = 0; h < H; ++h) {
        S* row = z.row(i * H + h).data();
        std::fill(row, row + begin, minus_inf);
        std::fill(row + end, row + n_window, minus_inf);
        S* tail = row + n_window;
        if (!all_visible) {
          for (std::size_t c = 0; c < kept_columns.size(); ++c) kept[c] = tail[kept_columns[c]];
          std::fill(tail, tail + n_entries, minus_inf);
          for (std::size_t c = 0; c < kept_columns.size(); ++c) tail[kept_columns[c]] = kept[c];
        } else {
          std::fill(tail + visible_entries(p), tail + n_entries, minus_inf);
        }
      }
    }
  }

  Options o_;
  Layer layer_;
  Dims dims_;
  bool started_ = false;
  std::int64_t t0_ = 0;  // tokens before this step
  std::vector<Sequence> sequences_;
};

}  // namespace

Tensor compress(const Tensor& kv, const Tensor& score, const CompressorWeights& weights,
                std::int64_t compress_ratio, bool overlap, std::int64_t rope_dim, double rope_theta,
                double eps) {
  Options o;
  o.compress_ratio = compress_ratio, o.overlap = overlap, o.rope_dim = rope_dim;
  o.rope_theta = rope_theta, o.eps = eps;
  if (compress_ratio < 1) reject("compress_ratio", "≥ 1", std::to_string(compress_ratio));
  validate_options(o);
  require_rank(kv.shape, 3, "kv", "[B, T, C]");
  const std::int64_t B = kv.dim(0), T = kv.dim(1), C = kv.dim(2), coff = overlap ? 2 : 1;
  if (C % coff != 0) reject("kv", "[B, T, 2·Dc] with overlap", shape_string(kv.shape));
  const std::int64_t Dc = C / coff;
  require_shape(score.shape, {B, T, C}, "score", "B,T,C");
  require_shape(weights.ape.shape, {compress_ratio, C}, "ape", "m,C");
  require_shape(weights.norm.shape, {Dc}, "norm", "Dc");
  if (rope_dim > Dc) reject("rope_dim", "≤ Dc = " + std::to_string(Dc), std::to_string(rope_dim));
  const std::int64_t n = T / compress_ratio;
  Tensor out({B, n, Dc});
  for (std::int64_t b = 0; b < B; ++b) {
    Pooler<double> pooler(weights, o, Dc);
    pooler.prefill(kv.data.data() + b * T * C, score.data.data() + b * T * C, T);
    std::copy_n(pooler.entry(0), n * Dc, out.data.begin() + b * n * Dc);
  }
  return out;
}

namespace {
// The engine for the run's precision and the indexer's.
template <class S>
std::unique_ptr<Kernel::Engine> engine_at(const Options& options, Layer layer) {
  if (options.indexer_precision.value_or(options.precision) == Precision::float32)
    return std::make_unique<EngineT<S, float>>(options, std::move(layer));
  return std::make_unique<EngineT<S, double>>(options, std::move(layer));
}
}  // namespace

Kernel::Kernel(const Options& options, Layer layer) {
  validate_options(options);
  engine_ = options.precision == Precision::float32 ? engine_at<float>(options, std::move(layer))
                                                    : engine_at<double>(options, std::move(layer));
}

Kernel::~Kernel() = default;

StepResult Kernel::step(const StepInputs& inputs) { return engine_->step(inputs); }

KeptSizes Kernel::kept() const { return engine_->kept(); }

}  // namespace attnsim::compressed_attn
