// Reading case.json with nlohmann-json (kept out of the header) and its .npy inputs.
#include "oracle/case_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/npy.h"
#include "core/units.h"
#include "mixers/reference.h"

namespace attnsim::oracle {

using nlohmann::json;

struct CaseFile::Data {
  std::string dir, path;
  json params, inputs;
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

double CaseFile::number_or(const std::string& name, double fallback) const {
  return number(name).value_or(fallback);
}

bool CaseFile::flag_or(const std::string& name, bool fallback) const {
  return optional_flag(name).value_or(fallback);
}

std::string CaseFile::text_or(const std::string& name, const std::string& fallback) const {
  return optional_text(name).value_or(fallback);
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

bool CaseFile::has_input(const std::string& name) const { return data_->inputs.contains(name); }

namespace {
std::string file_of(const CaseFile& c, const json& inputs, const std::string& dir,
                    const std::string& name) {
  if (!inputs.contains(name)) c.fail("inputs." + name, "an input entry", "nothing");
  const json& entry = inputs[name];
  if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string())
    c.fail("inputs." + name + ".file", "a file name", entry.dump());
  return (std::filesystem::path(dir) / entry["file"].get<std::string>()).string();
}

std::vector<std::int64_t> expected_shape(const CaseFile& c, const json& inputs,
                                         const std::string& name, const std::string& axes) {
  // Each name is a param of the case; a malformed expression is the case's mistake too.
  const std::vector<std::int64_t> shape = reference::axis_sizes(
      axes, [&](const std::string& axis) { return c.size(axis); },
      [&](const std::string& expected) {
        c.fail(expected.find("63 bits") != std::string::npos ? "params" : "axes", expected,
               "'" + axes + "'");
      });
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
  const std::string file = file_of(*this, data_->inputs, data_->dir, name);
  return read_npy_float(file, expected_shape(*this, data_->inputs, name, axes));
}

IndexTensor CaseFile::ints(const std::string& name, const std::string& axes) const {
  const std::string file = file_of(*this, data_->inputs, data_->dir, name);
  return read_npy_int(file, expected_shape(*this, data_->inputs, name, axes));
}

Tensor CaseFile::floats_if_given(const std::string& name, const std::string& axes) const {
  return has_input(name) ? floats(name, axes) : Tensor();
}

std::vector<std::int64_t> CaseFile::positions_if_given(const std::string& name,
                                                       const std::string& axes) const {
  return has_input(name) ? ints(name, axes).data : std::vector<std::int64_t>{};
}

}  // namespace attnsim::oracle
