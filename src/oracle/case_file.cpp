// Reading case.json with nlohmann-json (kept out of the header) and its .npy inputs.
#include "oracle/case_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/error.h"
#include "core/npy.h"
#include "core/units.h"
#include "mixers/reference.h"

namespace attnsim::oracle {

using nlohmann::json;

struct CaseFile::Data {
  std::string dir, path;
  json params, inputs;
  bool in_memory = false;
  std::map<std::string, Tensor, std::less<>> floats;
  std::map<std::string, IndexTensor, std::less<>> ints;
};

CaseFile::CaseFile(const std::string& dir) : data_(std::make_unique<Data>()) {
  data_->dir = dir;
  data_->path = (std::filesystem::path(dir) / "case.json").string();
  std::ifstream in(data_->path);
  if (!in)
    throw UserError(SourceLocation{data_->path, 0, 0}, "", "a readable case.json", "no such file");
  try {
    const json doc = json::parse(in);
    data_->params = doc.at("params");
    data_->inputs = doc.at("inputs");
  } catch (const json::exception& error) {
    throw UserError(SourceLocation{data_->path, 0, 0}, "",
                    "JSON with 'params' and 'inputs' objects", error.what());
  }
  if (!data_->params.is_object() || !data_->inputs.is_object())
    fail("", "'params' and 'inputs' objects", "another JSON type");
}

CaseFile::CaseFile(const std::string& origin, const std::string& params_json,
                   std::vector<std::pair<std::string, Tensor>> floats,
                   std::vector<std::pair<std::string, IndexTensor>> ints)
    : data_(std::make_unique<Data>()) {
  data_->path = origin;
  data_->in_memory = true;
  data_->params = json::parse(params_json, nullptr, false);
  if (!data_->params.is_object()) fail("params", "an object of scalars", params_json);
  for (auto& [name, tensor] : floats) data_->floats.emplace(name, std::move(tensor));
  for (auto& [name, tensor] : ints) data_->ints.emplace(name, std::move(tensor));
}

CaseFile::~CaseFile() = default;

void CaseFile::fail(const std::string& key, const std::string& expected,
                    const std::string& found) const {
  throw UserError(SourceLocation{data_->path, 0, 0}, key, expected, found);
}

namespace {
const json* find(const json& object, const std::string& name) {
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}
}  // namespace

std::int64_t CaseFile::size(const std::string& name) const {
  const json* value = find(data_->params, name);
  if (!value) fail("params." + name, "a value (required by this mixer)", "nothing");
  if (!value->is_number_integer() || value->get<std::int64_t>() < 1)
    fail("params." + name, "a positive integer", value->dump());
  return value->get<std::int64_t>();
}

std::optional<std::int64_t> CaseFile::optional_size(const std::string& name) const {
  if (!find(data_->params, name)) return std::nullopt;
  return size(name);
}

std::optional<double> CaseFile::number(const std::string& name) const {
  const json* value = find(data_->params, name);
  if (!value) return std::nullopt;
  if (!value->is_number()) fail("params." + name, "a number", value->dump());
  return value->get<double>();
}

std::optional<bool> CaseFile::optional_flag(const std::string& name) const {
  const json* value = find(data_->params, name);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) fail("params." + name, "true or false", value->dump());
  return value->get<bool>();
}

std::optional<std::string> CaseFile::optional_text(const std::string& name) const {
  const json* value = find(data_->params, name);
  if (!value) return std::nullopt;
  if (!value->is_string()) fail("params." + name, "a string", value->dump());
  return value->get<std::string>();
}

std::optional<std::pair<double, double>> CaseFile::optional_range(const std::string& name) const {
  const json* range = find(data_->params, name);
  if (!range) return std::nullopt;
  const auto bound = [&](const json& value) {
    if (value.is_number()) return value.get<double>();
    if (value == "inf") return std::numeric_limits<double>::infinity();
    fail("params." + name, "[min, max] of numbers or \"inf\"", range->dump());
  };
  if (!range->is_array() || range->size() != 2) fail("params." + name, "[min, max]", range->dump());
  return std::pair{bound((*range)[0]), bound((*range)[1])};
}

bool CaseFile::has_input(const std::string& name) const {
  if (data_->in_memory) return data_->floats.count(name) + data_->ints.count(name) > 0;
  return data_->inputs.contains(name);
}

namespace {
std::string file_of(const CaseFile& c, const json& inputs, const std::string& dir,
                    const std::string& name) {
  if (!inputs.contains(name)) c.fail("inputs." + name, "an input entry", "nothing");
  const json& entry = inputs[name];
  if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string())
    c.fail("inputs." + name + ".file", "a file name", entry.dump());
  return (std::filesystem::path(dir) / entry["file"].get<std::string>()).string();
}

std::vector<std::int64_t> shape_from_params(const CaseFile& c, const std::string& axes) {
  // Each name is a param of the case; a malformed expression is the case's mistake too.
  return reference::axis_sizes(
      axes, [&](const std::string& axis) { return c.size(axis); },
      [&](const std::string& expected) {
        c.fail(expected.find("63 bits") != std::string::npos ? "params" : "axes", expected,
               "'" + axes + "'");
      });
}

// An input held in memory, taken out of `held`, with its shape checked against the params.
template <class T>
T take(const CaseFile& c, std::map<std::string, T, std::less<>>& held, bool other_type,
       const std::string& name, const std::string& axes) {
  const auto found = held.find(name);
  if (found == held.end())
    c.fail("inputs." + name,
           std::is_same_v<T, Tensor> ? "a floating-point array" : "an integer array",
           other_type ? "an array of the other kind" : "nothing");
  const std::vector<std::int64_t> shape = shape_from_params(c, axes);
  if (found->second.shape != shape)
    c.fail("inputs." + name, "shape " + shape_string(shape) + " (" + axes + " from params)",
           "shape " + shape_string(found->second.shape));
  T tensor = std::move(found->second);
  held.erase(found);
  return tensor;
}

std::vector<std::int64_t> expected_shape(const CaseFile& c, const json& inputs,
                                         const std::string& name, const std::string& axes) {
  const std::vector<std::int64_t> shape = shape_from_params(c, axes);
  const json& declared = inputs[name];
  if (declared.contains("shape")) {
    const json& given = declared["shape"];
    const bool matches = given.is_array() && given.size() == shape.size() &&
                         std::equal(shape.begin(), shape.end(), given.begin(),
                                    [](std::int64_t n, const json& v) { return v == n; });
    if (!matches)
      c.fail("inputs." + name + ".shape",
             "shape " + shape_string(shape) + " (" + axes + " from params)", given.dump());
  }
  return shape;
}
}  // namespace

Tensor CaseFile::floats(const std::string& name, const std::string& axes) const {
  if (data_->in_memory) return take(*this, data_->floats, data_->ints.count(name), name, axes);
  const std::string file = file_of(*this, data_->inputs, data_->dir, name);
  return read_npy_float(file, expected_shape(*this, data_->inputs, name, axes));
}

IndexTensor CaseFile::ints(const std::string& name, const std::string& axes) const {
  if (data_->in_memory) return take(*this, data_->ints, data_->floats.count(name), name, axes);
  const std::string file = file_of(*this, data_->inputs, data_->dir, name);
  return read_npy_int(file, expected_shape(*this, data_->inputs, name, axes));
}

}  // namespace attnsim::oracle
