// Tests of a case held in memory whose inputs are read-only views (attnsim.oracle's NumPy arrays):
// the views reach the kernels uncopied, every worked example gives the .npy path's outputs bit
// for bit, and no kernel writes into its inputs.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "mixers/mixer.h"
#include "oracle/oracle.h"
#include "tests/reference_dir.h"

namespace attnsim::oracle {
namespace {

namespace fs = std::filesystem;

template <class T>
bool same_bits(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return a.shape == b.shape && a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data.data(), b.data.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
bool same_outputs(const std::vector<std::pair<std::string, BasicTensor<T>>>& a,
                  const std::vector<std::pair<std::string, BasicTensor<T>>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !same_bits(a[i].second, b[i].second)) return false;
  return true;
}

std::vector<std::string_view> forms_of(const std::string& mixer) {
  for (const MixerKind& kind : mixer_kinds())
    if (kind.reference && (kind.kind == mixer || kind.reference->oracle_alias == mixer))
      return kind.forms;
  FAIL("no kind runs the example folder " << mixer);
  return {};
}

TEST_CASE("CaseFile") {
  SUBCASE("an input held in memory is read as the view it was given, not a copy") {
    const std::vector<double> q(2 * 3 * 4, 0.5);
    const std::vector<std::int64_t> positions{0, 1, 2};
    // Moved in, not listed in braces: an initializer list's elements are const, so it would
    // hand CaseFile copies (a copy of a view owns its elements).
    std::vector<std::pair<std::string, Tensor>> floats;
    floats.emplace_back("q", Tensor::view({2, 3, 4}, q.data()));
    std::vector<std::pair<std::string, IndexTensor>> ints;
    ints.emplace_back("q_positions", IndexTensor::view({3}, positions.data()));
    const CaseFile c("test", R"({"B": 2, "T": 3, "D": 4})", std::move(floats), std::move(ints));
    const Tensor read = c.floats("q", "B,T,D");
    CHECK(read.data.is_view());
    CHECK(read.data.data() == q.data());
    CHECK(read.shape == std::vector<std::int64_t>{2, 3, 4});
    const IndexTensor read_positions = c.ints("q_positions", "T");
    CHECK(read_positions.data.data() == positions.data());
  }
  SUBCASE("a copy of a view is a tensor of its own; writing through a view fails loudly") {
    const std::vector<double> values{1, 2, 3};
    Tensor view = Tensor::view({3}, values.data());
    Tensor copy = view;
    CHECK_FALSE(copy.data.is_view());
    CHECK(copy.data.data() != values.data());
    copy[0] = 7;
    CHECK(values[0] == 1);
    CHECK_THROWS(view[0] = 7);
    CHECK(std::vector<double>(view.data) == values);
  }
  SUBCASE("releasing a view's elements copies them; releasing owned elements moves them") {
    const std::vector<double> values{1, 2, 3};
    Buffer<double> released = Tensor::view({3}, values.data()).data.release();
    CHECK(std::vector<double>(released.begin(), released.end()) == values);
    CHECK(released.data() != values.data());
    Tensor owned({2}, 5.0);
    const double* elements = owned.data.data();
    released = std::move(owned.data).release();
    CHECK(released == Buffer<double>{5, 5});
    CHECK(released.data() == elements);
  }
}

TEST_CASE("find_runner") {
  SUBCASE(
      "every worked example, on views of its inputs, gives the .npy path's outputs bit for "
      "bit, in every form and precision, and leaves the inputs unchanged") {
    int runs = 0;
    for (const auto& mixer_dir :
         fs::directory_iterator(testing::reference_dir() / "mixer-examples"))
      for (const auto& case_dir : fs::directory_iterator(mixer_dir.path())) {
        const std::string mixer = mixer_dir.path().filename().string();
        const auto doc = nlohmann::json::parse(std::ifstream(case_dir.path() / "case.json"));
        std::vector<std::pair<std::string, Tensor>> floats;
        std::vector<std::pair<std::string, IndexTensor>> ints;
        for (const auto& [name, entry] : doc["inputs"].items()) {
          const std::string file = (case_dir.path() / entry["file"].get<std::string>()).string();
          if (read_npy_header(file).dtype == NpyDType::int64)
            ints.emplace_back(name, read_npy_int(file));
          else
            floats.emplace_back(name, read_npy_float(file));
        }
        const auto pristine_floats = floats;
        const auto pristine_ints = ints;
        for (const std::string_view form : forms_of(mixer))
          for (const Precision precision : {Precision::float64, Precision::float32}) {
            CAPTURE(case_dir.path().string());
            CAPTURE(form);
            const Settings settings{std::string(form), precision, std::nullopt};
            const Outputs expected =
                find_runner(mixer)(CaseFile(case_dir.path().string()), settings);
            std::vector<std::pair<std::string, Tensor>> views;
            std::vector<std::pair<std::string, IndexTensor>> index_views;
            for (const auto& [name, tensor] : floats) views.emplace_back(name, tensor.borrowed());
            for (const auto& [name, tensor] : ints)
              index_views.emplace_back(name, tensor.borrowed());
            const CaseFile in_memory("test", doc["params"].dump(), std::move(views),
                                     std::move(index_views));
            const Outputs got = find_runner(mixer)(in_memory, settings);
            CHECK(same_outputs(got.floats, expected.floats));
            CHECK(same_outputs(got.ints, expected.ints));
            CHECK(same_outputs(floats, pristine_floats));
            CHECK(same_outputs(ints, pristine_ints));
            // No output is a view of an input: each owns its elements, which the Python module
            // hands to NumPy after the inputs are released.
            for (const auto& [name, tensor] : got.floats) CHECK_FALSE(tensor.data.is_view());
            for (const auto& [name, tensor] : got.ints) CHECK_FALSE(tensor.data.is_view());
            ++runs;
          }
      }
    CHECK(runs >= 40);
  }
}

}  // namespace
}  // namespace attnsim::oracle
