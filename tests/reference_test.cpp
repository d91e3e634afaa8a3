// A sweep over every registered mixer kind's reference facet (mixers/reference.h): on a small
// random case (B = 2, T = 7, chunks of 3) every form gives the same outputs, a prefill followed
// by single-token decode steps gives those of one prefill, and the kind runs in `simulate`, in
// `oracle` (on a case folder written from the same inputs) and in the benchmark. A kind added
// to the registry is covered without a test edit.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/cases.h"
#include "cli/command.h"
#include "core/npy.h"
#include "mixers/mixer.h"
#include "oracle/oracle.h"
#include "sim/execution.h"
#include "sim/simulate.h"
#include "tests/support.h"

namespace attnsim {

namespace cli {
int run_oracle(const CommandArgs& args, std::ostream& out);
}

namespace {

using namespace reference;

// Kinds that are a cost model only, without a reference kernel (their README says what it
// leaves out): none at present.
const std::set<std::string_view> kCostModelOnly = {};

constexpr std::int64_t kBatch = 2, kTokens = 7, kPrefix = 4;

Binding small_binding(const Facet& facet, std::int64_t tokens) {
  Binding bound = *parse_mixer(std::string(facet.test_instance))->reference_binding();
  bound.set("B", kBatch);
  bound.set("chunk_size", std::int64_t{3});
  for (const char* axis : {"T", "Tq", "Tk"}) bound.set(axis, tokens);
  return bound;
}

// |a − b| ≤ 1e-10·(1 + |b|) elementwise (−inf only where expected).
bool agree(const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::isinf(b[i]) ? a[i] != b[i] : !(std::abs(a[i] - b[i]) <= 1e-10 * (1 + std::abs(b[i]))))
      return false;
  return true;
}

void check_same_outputs(const Tensors& got, const Tensors& expected) {
  for (const auto& [name, tensor] : expected.floats) {
    CAPTURE(name);
    const Tensor* other = got.find(name);
    REQUIRE(other != nullptr);
    CHECK(agree(*other, tensor));
  }
  for (const auto& [name, tensor] : expected.ints) {
    CAPTURE(name);
    const IndexTensor* other = got.find_ints(name);
    REQUIRE(other != nullptr);
    CHECK(other->data == tensor.data);
  }
}

// The position of the token axis (T, Tq or Tk) in a comma list of axes, or −1.
int token_axis(const std::string& axes) {
  int index = 0;
  for (std::size_t start = 0; start <= axes.size(); ++index) {
    const std::size_t comma = std::min(axes.find(',', start), axes.size());
    const std::string axis = axes.substr(start, comma - start);
    if (axis == "T" || axis == "Tq" || axis == "Tk") return index;
    start = comma + 1;
  }
  return -1;
}

template <class T>
BasicTensor<T> token_range(const BasicTensor<T>& tensor, int axis, std::int64_t begin,
                           std::int64_t end) {
  std::vector<std::int64_t> dims = tensor.shape;
  std::size_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= static_cast<std::size_t>(dims[i]);
  for (int i = axis + 1; i < tensor.rank(); ++i) inner *= static_cast<std::size_t>(dims[i]);
  const auto n = static_cast<std::size_t>(dims[axis]);
  dims[static_cast<std::size_t>(axis)] = end - begin;
  BasicTensor<T> slice(dims);
  auto out = slice.data.begin();
  for (std::size_t o = 0; o < outer; ++o) {
    const auto from = tensor.data.begin() + static_cast<std::ptrdiff_t>(
                                                (o * n + static_cast<std::size_t>(begin)) * inner);
    out = std::copy(from, from + static_cast<std::ptrdiff_t>(inner * (end - begin)), out);
  }
  return slice;
}

// The step inputs of tokens [begin, end) (and the layer inputs with the first).
Tensors token_inputs(const Signature& signature, const Tensors& inputs, std::int64_t begin,
                     std::int64_t end) {
  Tensors part;
  for (const TensorSpec& spec : signature.tensors) {
    const Tensor* tensor = inputs.find(spec.name);
    if (tensor == nullptr) continue;
    if (spec.feed == Feed::step)
      part.add(spec.name, token_range(*tensor, token_axis(spec.axes), begin, end));
    else if (begin == 0)
      part.add(spec.name, *tensor);
  }
  return part;
}

void write_case(const std::filesystem::path& dir, const Binding& bound, const Tensors& inputs) {
  nlohmann::json doc;
  doc["params"] = nlohmann::json::object();
  for (const auto& [name, value] : bound.values())
    std::visit(
        [&, key = name](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::pair<double, double>>)
            doc["params"][key] = {v.first, v.second};
          else
            doc["params"][key] = v;
        },
        value);
  doc["inputs"] = nlohmann::json::object();
  for (const auto& [name, tensor] : inputs.floats) {
    write_npy((dir / (name + ".npy")).string(), tensor);
    doc["inputs"][name] = {{"file", name + ".npy"}};
  }
  std::ofstream(dir / "case.json") << doc.dump();
}

}  // namespace

TEST_CASE("reference facets: every kind, every form, every driver") {
  for (const MixerKind& kind : mixer_kinds()) {
    CAPTURE(kind.kind);
    if (kCostModelOnly.count(kind.kind)) {
      CHECK(kind.reference == nullptr);
      CHECK(kind.forms.empty());
      continue;
    }
    REQUIRE(kind.reference != nullptr);
    const Facet& facet = *kind.reference;
    CHECK(parse_mixer(std::string(facet.test_instance))->kind() == kind.kind);
    const Binding bound = small_binding(facet, kTokens);
    const Signature signature = facet.signature(bound);
    std::mt19937_64 rng(7);
    const Tensors inputs = random_inputs(signature, bound, {Feed::step, Feed::layer}, rng);
    const Tensors expected = facet.open(bound, {})->prefill(inputs).outputs;
    REQUIRE(!expected.floats.empty());

    {
      INFO("every form gives the same outputs");
      for (std::string_view form : kind.forms) {
        CAPTURE(form);
        check_same_outputs(
            facet.open(bound, {std::string(form), Precision::float64, 0, false, false})
                ->prefill(inputs)
                .outputs,
            expected);
      }
    }
    {
      INFO("prefill then decode steps = one prefill");
      const auto session = facet.open(bound, {});
      std::vector<Tensors> steps{
          session->prefill(token_inputs(signature, inputs, 0, kPrefix)).outputs};
      for (std::int64_t t = kPrefix; t < kTokens; ++t)
        steps.push_back(session->decode(token_inputs(signature, inputs, t, t + 1)).outputs);
      int compared = 0;
      for (const OutputSpec& output : signature.outputs) {
        CAPTURE(output.name);
        const Tensor* whole = expected.find(output.name);
        if (whole == nullptr || has_axis(output.axes, "Tk")) continue;
        const int axis = token_axis(output.axes);
        for (std::size_t i = 0; i < steps.size(); ++i) {
          const Tensor* part = steps[i].find(output.name);
          REQUIRE(part != nullptr);
          if (axis < 0) {
            if (i + 1 == steps.size()) CHECK(agree(*part, *whole));
            continue;
          }
          const std::int64_t begin = i == 0 ? 0 : kPrefix + static_cast<std::int64_t>(i) - 1;
          const std::int64_t end = i == 0 ? kPrefix : begin + 1;
          CHECK(agree(*part, token_range(*whole, axis, begin, end)));
        }
        ++compared;
      }
      CHECK(compared >= 1);
    }
    {
      INFO("the oracle runs a case folder of the same inputs");
      testing::ScratchDir dir;
      std::filesystem::create_directories(dir.path() / "case");
      write_case(dir.path() / "case", bound, inputs);
      std::ostringstream log;
      REQUIRE(cli::run_oracle({std::string(kind.kind), (dir.path() / "case").string(), "-o",
                               (dir.path() / "out").string()},
                              log) == 0);
      for (const auto& [name, tensor] : expected.floats) {
        CAPTURE(name);
        CHECK(agree(read_npy_float((dir.path() / "out" / (name + ".npy")).string()), tensor));
      }
    }
    {
      INFO("simulate runs it and agrees with the cost model");
      testing::ScratchDir dir;
      const auto path = dir.write(
          "arch.yaml",
          testing::architecture_yaml("  m: " + std::string(facet.test_instance), "  mixer: m", 2));
      sim::SimulateOptions options;
      options.tokens = kTokens;
      options.chunk = 3;
      const sim::SimulationReport report = sim::simulate(path.string(), options);
      REQUIRE(!report.rows.empty());
      for (const sim::SimRow& row : report.rows) {
        INFO(row.quantity, " measured ", row.measured, " predicted ", row.predicted);
        CHECK(row.executed);
        CHECK(row.ok());
      }
    }
    {
      INFO("the benchmark times it");
      int found = 0;
      for (const bench::Case& c : bench::cases(Precision::float64)) {
        if (c.mixer != kind.kind) continue;
        const bench::Measured run = c.prepare(8)();
        CHECK(total_flops(run.counts.flops()) > 0);
        CHECK(run.bytes > 0);
        if (kind.kind == "short_conv") {
          // Minimal traffic of the LFM2 instance (D 2048, L 3) at T 8, B 1, 8 bytes an element:
          // inputs b_gate, c_gate, x 3·8·2048 = 49,152, conv_weight 2048·3 = 6,144, conv_bias
          // 2,048; outputs y, u, conv_out 49,152, final_state 2048·2 = 4,096 → 110,592 elements.
          CHECK(run.bytes == 8.0 * 110592);
        }
        ++found;
      }
      CHECK(found == 1);
    }
  }
}

}  // namespace attnsim
