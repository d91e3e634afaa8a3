// Reading case.json with nlohmann-json (kept out of the header) and its .npy inputs.
#include "oracle/case_file.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/npy.h"
#include "core/units.h"

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
  const json* value = find(data_->params, name);
  if (!value) return fallback;
  if (!value->is_boolean()) fail("params." + name, "true or false", value->dump());
  return value->get<bool>();
}

std::string CaseFile::text_or(const std::string& name, const std::string& fallback) const {
  const json* value = find(data_->params, name);
  if (!value) return fallback;
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
  if (!range->is_array() || range->size() != 2)
    fail("params." + name, "[min, max]", range->dump());
  return std::pair{bound((*range)[0]), bound((*range)[1])};
}

bool CaseFile::has_input(const std::string& name) const { return data_->inputs.contains(name); }

namespace {
// Axis expressions over the case's params, evaluated with checked arithmetic: a sum of
// products of integers, param names and parenthesised sums.
class AxisParser {
 public:
  AxisParser(const CaseFile& c, const std::string& text) : case_(c), text_(text) {}
  std::int64_t parse() {
    const std::int64_t value = sum();
    if (pos_ != text_.size()) case_.fail("axes", "an axis expression", "'" + text_ + "'");
    return value;
  }

 private:
  std::int64_t sum() {
    std::uint64_t value = product();
    while (peek('+')) value = checked_add(value, product(), "an input shape");
    return as_size(value);
  }
  std::uint64_t product() {
    std::uint64_t value = factor();
    while (pos_ < text_.size() && (text_[pos_] == '*' || text_[pos_] == '(' ||
                                   std::isalpha(static_cast<unsigned char>(text_[pos_])))) {
      peek('*');
      value = checked_mul(value, factor(), "an input shape");
    }
    return value;
  }
  std::uint64_t factor() {
    if (peek('(')) {
      const std::int64_t value = sum();
      if (!peek(')')) case_.fail("axes", "a closing ')'", "'" + text_ + "'");
      return static_cast<std::uint64_t>(value);
    }
    const std::size_t begin = pos_;
    if (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ - begin > 18) case_.fail("axes", "an axis expression", "'" + text_ + "'");
      return std::stoull(text_.substr(begin, pos_ - begin));
    }
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    if (pos_ == begin) case_.fail("axes", "an axis expression", "'" + text_ + "'");
    return static_cast<std::uint64_t>(case_.size(text_.substr(begin, pos_ - begin)));
  }
  bool peek(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::int64_t as_size(std::uint64_t value) const {
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      case_.fail("params", "sizes whose products fit in 63 bits", "'" + text_ + "' larger");
    return static_cast<std::int64_t>(value);
  }

  const CaseFile& case_;
  const std::string& text_;
  std::size_t pos_ = 0;
};

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
  std::vector<std::int64_t> shape;
  for (std::size_t start = 0; start <= axes.size();) {
    const std::size_t comma = std::min(axes.find(',', start), axes.size());
    shape.push_back(AxisParser(c, axes.substr(start, comma - start)).parse());
    start = comma + 1;
  }
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

Tensor CaseFile::floats_if_given(const std::string& name, const std::string& axes) const {
  return has_input(name) ? floats(name, axes) : Tensor();
}

std::vector<std::int64_t> CaseFile::positions_if_given(const std::string& name,
                                                       const std::string& axes) const {
  if (!has_input(name)) return {};
  const std::string file = file_of(*this, data_->inputs, data_->dir, name);
  return read_npy_int(file, expected_shape(*this, data_->inputs, name, axes)).data;
}

std::size_t choose_form(const Settings& settings, const std::vector<std::string>& forms) {
  if (settings.form.empty()) return 0;
  for (std::size_t i = 0; i < forms.size(); ++i)
    if (forms[i] == settings.form) return i;
  throw UserError({}, "--form", fmt::format("one of {}", fmt::join(forms, ", ")),
                  "'" + settings.form + "'");
}

}  // namespace attnsim::oracle
