// Bindings, named tensors, axis expressions and random inputs of the reference facet.
#include "mixers/reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/units.h"

namespace attnsim::reference {

namespace {
template <class T>
const T* value_of(const std::map<std::string, Value, std::less<>>& values, std::string_view name) {
  const auto found = values.find(name);
  if (found == values.end()) return nullptr;
  const T* value = std::get_if<T>(&found->second);
  ATTNSIM_ASSERT(value != nullptr, "the drivers bind each scalar with its declared type");
  return value;
}
}  // namespace

std::int64_t Binding::size(std::string_view name) const {
  const auto value = optional_size(name);
  ATTNSIM_ASSERT(value.has_value(), "every axis a session reads is bound");
  return *value;
}

std::optional<std::int64_t> Binding::optional_size(std::string_view name) const {
  if (const auto* value = value_of<std::int64_t>(values_, name)) return *value;
  return std::nullopt;
}

std::optional<double> Binding::number(std::string_view name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  if (const auto* size = std::get_if<std::int64_t>(&found->second))
    return static_cast<double>(*size);
  return *value_of<double>(values_, name);
}

bool Binding::flag_or(std::string_view name, bool fallback) const {
  const bool* value = value_of<bool>(values_, name);
  return value ? *value : fallback;
}

std::string Binding::text_or(std::string_view name, std::string_view fallback) const {
  const std::string* value = value_of<std::string>(values_, name);
  return value ? *value : std::string(fallback);
}

std::optional<std::pair<double, double>> Binding::range(std::string_view name) const {
  if (const auto* value = value_of<std::pair<double, double>>(values_, name)) return *value;
  return std::nullopt;
}

const Tensor* Tensors::find(std::string_view name) const {
  for (const auto& [key, tensor] : floats)
    if (key == name) return &tensor;
  return nullptr;
}

const IndexTensor* Tensors::find_ints(std::string_view name) const {
  for (const auto& [key, tensor] : ints)
    if (key == name) return &tensor;
  return nullptr;
}

Tensor Tensors::get(std::string_view name) const {
  const Tensor* tensor = find(name);
  return tensor ? *tensor : Tensor();
}

const Tensor& input(const Tensors& inputs, std::string_view name) {
  const Tensor* tensor = inputs.find(name);
  ATTNSIM_ASSERT(tensor != nullptr, "the drivers give every required input");
  return *tensor;
}

Tensor take(Tensors& inputs, std::string_view name) {
  for (auto& [key, tensor] : inputs.floats)
    if (key == name) return std::move(tensor);
  return Tensor();
}

std::vector<std::int64_t> positions(const Tensors& inputs, std::string_view name) {
  const IndexTensor* tensor = inputs.find_ints(name);
  return tensor ? std::vector<std::int64_t>(tensor->data) : std::vector<std::int64_t>{};
}

void append_tokens(Tensor& head, const Tensor& tail) {
  if (head.empty()) {
    head = tail;
    return;
  }
  ATTNSIM_ASSERT(head.rank() == tail.rank() && head.rank() >= 2 && head.dim(0) == tail.dim(0),
                 "appended tensors are [B, T, ...] of the same batch and rank");
  const std::int64_t B = head.dim(0);
  const std::size_t head_row = head.size() / static_cast<std::size_t>(B);
  const std::size_t tail_row = tail.size() / static_cast<std::size_t>(B);
  Buffer<double> data;
  data.reserve(head.size() + tail.size());
  for (std::int64_t b = 0; b < B; ++b) {
    const auto h = head.data.begin() + static_cast<std::ptrdiff_t>(head_row * b);
    const auto t = tail.data.begin() + static_cast<std::ptrdiff_t>(tail_row * b);
    data.insert(data.end(), h, h + static_cast<std::ptrdiff_t>(head_row));
    data.insert(data.end(), t, t + static_cast<std::ptrdiff_t>(tail_row));
  }
  head.shape[1] += tail.dim(1);
  head.data = std::move(data);
}

std::size_t form_index(std::string_view form, const std::vector<std::string_view>& forms) {
  if (form.empty()) return 0;
  for (std::size_t i = 0; i < forms.size(); ++i)
    if (forms[i] == form) return i;
  throw UserError({}, "--form", fmt::format("one of {}", fmt::join(forms, ", ")),
                  fmt::format("'{}'", form));
}

namespace {
// A sum of products of integers, names and parenthesised sums, with checked arithmetic.
class AxisParser {
 public:
  AxisParser(const std::string& text,
             const std::function<std::int64_t(const std::string&)>& size_of,
             const std::function<void(const std::string&)>& fail)
      : text_(text), size_of_(size_of), fail_(fail) {}
  std::int64_t parse() {
    const std::int64_t value = sum();
    if (pos_ != text_.size()) fail_("an axis expression");
    return value;
  }

 private:
  std::int64_t sum() {
    std::uint64_t value = product();
    while (peek('+')) value = checked_add(value, product(), "an input shape");
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail_("sizes whose products fit in 63 bits");
    return static_cast<std::int64_t>(value);
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
      if (!peek(')')) fail_("a closing ')'");
      return static_cast<std::uint64_t>(value);
    }
    const std::size_t begin = pos_;
    if (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ - begin > 18) fail_("an axis expression");
      return std::stoull(text_.substr(begin, pos_ - begin));
    }
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    if (pos_ == begin) fail_("an axis expression");
    return static_cast<std::uint64_t>(size_of_(text_.substr(begin, pos_ - begin)));
  }
  bool peek(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  const std::string text_;
  const std::function<std::int64_t(const std::string&)>& size_of_;
  const std::function<void(const std::string&)>& fail_;
  std::size_t pos_ = 0;
};
}  // namespace

std::vector<std::int64_t> axis_sizes(const std::string& axes,
                                     const std::function<std::int64_t(const std::string&)>& size_of,
                                     const std::function<void(const std::string&)>& fail) {
  std::vector<std::int64_t> shape;
  for (std::size_t start = 0; start <= axes.size();) {
    const std::size_t comma = std::min(axes.find(',', start), axes.size());
    shape.push_back(AxisParser(axes.substr(start, comma - start), size_of, fail).parse());
    start = comma + 1;
  }
  return shape;
}

std::vector<std::string> axis_names(const std::string& axes) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < axes.size();) {
    if (std::isdigit(static_cast<unsigned char>(axes[i]))) {
      while (i < axes.size() && std::isdigit(static_cast<unsigned char>(axes[i]))) ++i;
      continue;
    }
    const std::size_t begin = i;
    while (i < axes.size() && (std::isalnum(static_cast<unsigned char>(axes[i])) || axes[i] == '_'))
      ++i;
    if (i > begin)
      names.push_back(axes.substr(begin, i - begin));
    else
      ++i;
  }
  return names;
}

bool has_axis(const std::string& axes, std::string_view name) {
  const auto names = axis_names(axes);
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {
void unit_rows(Tensor& tensor) {
  const auto width = static_cast<std::size_t>(tensor.shape.back());
  for (std::size_t row = 0; row < tensor.size(); row += width) {
    double norm = 0;
    for (std::size_t i = row; i < row + width; ++i) norm += tensor[i] * tensor[i];
    for (std::size_t i = row; i < row + width; ++i) tensor[i] /= std::sqrt(norm);
  }
}
}  // namespace

Tensors random_inputs(const Signature& signature, const Binding& bound,
                      const std::vector<Feed>& feeds, std::mt19937_64& rng) {
  Tensors tensors;
  for (const TensorSpec& spec : signature.tensors) {
    if (std::find(feeds.begin(), feeds.end(), spec.feed) == feeds.end()) continue;
    if (spec.domain == Domain::positions || spec.feed == Feed::initial_state) continue;
    const auto names = axis_names(spec.axes);
    const bool bound_axes = std::all_of(names.begin(), names.end(),
                                        [&](const std::string& name) { return bound.has(name); });
    if (spec.optional && !bound_axes) continue;
    if (!spec.unless.empty() && bound.has(spec.unless)) continue;
    if (spec.optional &&
        std::any_of(signature.tensors.begin(), signature.tensors.end(),
                    [&](const TensorSpec& other) { return other.unless == spec.name; }))
      continue;
    Tensor tensor(axis_sizes(
        spec.axes, [&](const std::string& name) { return bound.size(name); },
        [&](const std::string& expected) {
          ATTNSIM_ASSERT(false, "signatures are well formed: " + expected);
        }));
    if (spec.domain == Domain::normal || spec.domain == Domain::unit_rows) {
      std::normal_distribution<double> normal(0.0, 1.0);
      for (double& value : tensor.data) value = normal(rng);
      if (spec.domain == Domain::unit_rows) unit_rows(tensor);
    } else {
      std::uniform_real_distribution<double> uniform(spec.low, spec.high);
      for (double& value : tensor.data) value = uniform(rng);
    }
    tensors.add(spec.name, std::move(tensor));
  }
  return tensors;
}

}  // namespace attnsim::reference
