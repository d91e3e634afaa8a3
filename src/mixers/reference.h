// The reference facet of a mixer kind: what its reference execution takes (a signature of named
// tensors with symbolic axes, value domains and scalar parameters) and a session that runs it
// step by step (prefill, then decode), carrying its own KV cache, recurrent state and short conv.
// sim/ (random tensors), oracle/ (.npy files named in case.json) and bench/ (timing runs) only
// fill a signature and drive a session; none of them names a kind.
//
// Adding a kind: in its folder src/mixers/<kind>/, write
//   - `Signature signature(const Binding&)`: its inputs, scalars and outputs (mixers-spec axis
//     names: B, T or Tq/Tk, H, HV, K, …);
//   - a Session subclass and `std::unique_ptr<Session> open(const Binding&, const
//     SessionOptions&)`; sessions read sizes from the tensors' shapes and scalars from the
//     binding, never from config nodes or case files;
//   - `Mixer::reference_binding()` on its Mixer: the axis sizes and scalars of an instance;
//   - a `static const Facet` with those two functions, the form the cost model counts, a small
//     and a benchmark-sized YAML instance, pointed to by its MixerKind (`reference`).
// Then the one registry line in mixers/registry.cpp; the sweep tests (tests/reference_test.cpp)
// run it in every form, in simulate, the oracle and the benchmark without edits.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"

namespace attnsim {
enum class CacheRole;
}

namespace attnsim::reference {

// A scalar parameter's value: a size (positive integer), a number, a flag, a text or a range.
using Value = std::variant<std::int64_t, double, bool, std::string, std::pair<double, double>>;

// Axis sizes and scalar parameters by name ("HV" → 4, "scale" → 0.25, "window" → 128).
// Sessions read them with the accessors below; a wrong type is our bug (the drivers check
// user values against the signature first).
class Binding {
 public:
  void set(const std::string& name, Value value) { values_[name] = std::move(value); }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  const std::map<std::string, Value, std::less<>>& values() const { return values_; }
  std::int64_t size(std::string_view name) const;
  std::optional<std::int64_t> optional_size(std::string_view name) const;
  std::optional<double> number(std::string_view name) const;  // a size reads as a number too
  bool flag_or(std::string_view name, bool fallback) const;
  std::string text_or(std::string_view name, std::string_view fallback) const;
  std::optional<std::pair<double, double>> range(std::string_view name) const;

 private:
  std::map<std::string, Value, std::less<>> values_;
};

// Named tensors, as a session takes and returns them (in order; float and integer tensors).
struct Tensors {
  std::vector<std::pair<std::string, Tensor>> floats;
  std::vector<std::pair<std::string, IndexTensor>> ints;
  const Tensor* find(std::string_view name) const;
  const IndexTensor* find_ints(std::string_view name) const;
  Tensor get(std::string_view name) const;  // empty when absent
  void add(std::string name, Tensor tensor) {
    floats.emplace_back(std::move(name), std::move(tensor));
  }
  void add(std::string name, IndexTensor tensor) {
    ints.emplace_back(std::move(name), std::move(tensor));
  }
};

// The values a random input is drawn from: N(0, 1), uniform [low, high), N(0, 1) rows scaled
// to unit L2 norm along the last axis, or integer positions (never drawn: position inputs are
// optional and default to 0, 1, …).
enum class Domain { normal, uniform, unit_rows, positions };
// A tensor fed at every step (with a token axis T, Tq or Tk), once with the first prefill (a
// weight such as MLA's w_uk, a decay per head), or only as an initial state.
enum class Feed { step, layer, initial_state };

struct TensorSpec {
  TensorSpec(std::string name_, std::string axes_, Feed feed_ = Feed::step,
             Domain domain_ = Domain::normal, double low_ = 0.0, double high_ = 1.0,
             bool optional_ = false, std::string unless_ = {})
      : name(std::move(name_)),
        axes(std::move(axes_)),
        feed(feed_),
        domain(domain_),
        low(low_),
        high(high_),
        optional(optional_),
        unless(std::move(unless_)) {}
  std::string name;
  std::string axes;  // "B,T,HV,K": comma list of sums of products of sizes, names, parentheses
  Feed feed = Feed::step;
  Domain domain = Domain::normal;
  double low = 0.0, high = 1.0;  // Domain::uniform
  // Not needed to run. sim/ and bench/ draw an optional tensor when all its axes are bound (a
  // short conv's weights when the instance has a conv), unless another tensor names it in
  // `unless` (an alternative form of inputs that are drawn: short_conv's bcx).
  bool optional = false;
  // Required unless the input or scalar of this name is given (MLA: w_uk unless w_kv_b).
  std::string unless;
};

enum class ScalarType { size, number, flag, text, range };
struct ScalarSpec {
  ScalarSpec(std::string name_, ScalarType type_, std::vector<std::string> choices_ = {})
      : name(std::move(name_)), type(type_), choices(std::move(choices_)) {}
  std::string name;
  ScalarType type = ScalarType::number;
  std::vector<std::string> choices;  // ScalarType::text: the accepted texts (empty: any)
};

struct OutputSpec {
  std::string name;
  std::string axes;  // with T or Tq: one row per step's token; else the latest value
};

struct Signature {
  std::vector<TensorSpec> tensors;
  std::vector<ScalarSpec> scalars;  // all optional: a session has a default for each
  std::vector<OutputSpec> outputs;
};

struct SessionOptions {
  std::string form;  // one of the kind's forms (MixerKind::forms); empty = the first
  Precision precision = Precision::float64;
  std::int64_t query_block = 0;  // attention rows per blocked product; 0 = the kernel's default
  bool oracle_outputs = false;   // also outputs that cost another run (MLA's o_absorbed)
  bool cost_form = false;        // `form` is Facet::cost_form (a composite gives its parts theirs)
  // Another layer reads this session's KV cache (Layer::kv_shared_from): keep what each step
  // attended to for Session::attended_kv.
  bool shares_kv = false;
};

// One tensor a session keeps between steps, named as the Mixer's CacheTerm that predicts it.
struct Kept {
  std::string name;
  CacheRole role;
  std::int64_t elements = 0;
  std::int64_t tokens = 0;  // tokens it holds (for per-token format bytes); 0 for states
};

struct Step {
  Tensors outputs;
  OpCounts counts;
};

class Session {
 public:
  virtual ~Session() = default;
  // The first call: step tensors of T tokens, the layer tensors and optional initial states.
  virtual Step prefill(const Tensors& inputs) = 0;
  // Each later call: step tensors of the new tokens (one in simulate), continuing the state.
  virtual Step decode(const Tensors& inputs) = 0;
  virtual std::vector<Kept> kept() const = 0;
  // Cross-layer KV reuse (Layer::kv_shared_from). A session opened with SessionOptions::shares_kv
  // gives, after each step, the keys and values that step attended to (its cache before any
  // window trim) as the step inputs of a session of the same kind and shape whose binding sets
  // `reads_kv`: that session takes them with its queries, attends to them instead of a cache of
  // its own, and keeps nothing. Empty for kinds without a shareable KV cache.
  virtual Tensors attended_kv() const { return {}; }
};

struct Facet {
  Signature (*signature)(const Binding& bound) = nullptr;  // may depend on bound choices
  std::unique_ptr<Session> (*open)(const Binding& bound, const SessionOptions& options) = nullptr;
  std::string_view cost_form;       // the prefill form the cost model counts (simulate runs it)
  std::string_view test_instance;   // a small YAML instance, e.g. "{n_heads: 2, head_dim: 6}"
  std::string_view bench_instance;  // the benchmark's size: 16 heads of 128 where it applies
  std::string_view bench_form;      // the form the benchmark times
  std::string_view oracle_alias;    // another name the worked examples use ("mamba2_ssd")
};

// The sizes of `axes` with each name looked up by `size_of`; `fail(expected)` reports a
// malformed expression or a product past 63 bits (and must throw).
std::vector<std::int64_t> axis_sizes(const std::string& axes,
                                     const std::function<std::int64_t(const std::string&)>& size_of,
                                     const std::function<void(const std::string&)>& fail);
// The names an axis expression refers to.
std::vector<std::string> axis_names(const std::string& axes);
// Whether `axes` has a token axis (T or Tq) / a key axis (Tk).
bool has_axis(const std::string& axes, std::string_view name);

// Random tensors of `signature` for the feeds asked for, sized by `bound` (see TensorSpec).
Tensors random_inputs(const Signature& signature, const Binding& bound,
                      const std::vector<Feed>& feeds, std::mt19937_64& rng);

// Helpers for sessions. The tensor `name` of `inputs`, required (our bug if absent: the
// drivers check the signature).
const Tensor& input(const Tensors& inputs, std::string_view name);
// Moves the tensor `name` out of `inputs` (empty when absent), for a session's own copies.
Tensor take(Tensors& inputs, std::string_view name);
// Positions as int64 (from an index input, or none).
std::vector<std::int64_t> positions(const Tensors& inputs, std::string_view name);
// Appends the tokens (axis 1) of `tail` to `head`; an empty head takes tail.
void append_tokens(Tensor& head, const Tensor& tail);
// The chosen form's position in `forms`; an unknown form is a UserError listing them.
std::size_t form_index(std::string_view form, const std::vector<std::string_view>& forms);

}  // namespace attnsim::reference
