// Implementation of MapReader and the scalar conversions, with uniform error messages.
#include "config/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace attnsim::config {

namespace {
[[noreturn]] void wrong(const Node& node, const std::string& path, std::string expected,
                        std::string hint = {}) {
  throw UserError(node.where, path, std::move(expected), node.describe(), std::move(hint));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::uint64_t parse_unsigned(const Node& node, const std::string& path, std::string_view expected) {
  if (node.is_scalar() && node.quoted)
    wrong(node, path, std::string(expected), "a quoted value is text; remove the quotes");
  if (!node.is_scalar()) wrong(node, path, std::string(expected));
  std::uint64_t value = 0;
  const std::string& text = node.scalar;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    wrong(node, path, std::string(expected), "the value does not fit in 64 bits");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    wrong(node, path, std::string(expected),
          text.starts_with("-") ? "sizes cannot be negative" : "write a whole number, e.g. 128");
  return value;
}
}  // namespace

std::uint64_t as_count(const Node& node, const std::string& path) {
  return parse_unsigned(node, path, "a whole number ≥ 0");
}

std::uint64_t as_positive(const Node& node, const std::string& path) {
  const std::uint64_t value = parse_unsigned(node, path, "a positive whole number");
  if (value == 0) wrong(node, path, "a positive whole number", "sizes must be at least 1");
  return value;
}

std::string as_string(const Node& node, const std::string& path) {
  if (!node.is_scalar()) wrong(node, path, "a text value");
  return node.scalar;
}

double as_number(const Node& node, const std::string& path) {
  if (node.is_scalar() && node.quoted)
    wrong(node, path, "a number", "a quoted value is text; remove the quotes");
  if (!node.is_scalar()) wrong(node, path, "a number");
  double value = 0;
  const std::string& text = node.scalar;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value))
    wrong(node, path, "a finite number");
  return value;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

namespace {
std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Candidates that start with `word`, then those that contain it elsewhere (case-insensitive),
// each group in the order given: "qwen3-next" → qwen3-next-80b-a3b; "h100" → h100-sxm.
std::vector<std::string> prefix_then_substring_matches(std::string_view word,
                                                       const std::vector<std::string>& candidates) {
  const std::string wanted = lowercase(word);
  std::vector<std::string> prefixes;
  std::vector<std::string> substrings;
  if (wanted.size() < 2) return prefixes;
  for (const auto& candidate : candidates) {
    const std::string lower = lowercase(candidate);
    if (lower == wanted) continue;
    if (lower.starts_with(wanted))
      prefixes.push_back(candidate);
    else if (lower.find(wanted) != std::string::npos)
      substrings.push_back(candidate);
  }
  prefixes.insert(prefixes.end(), substrings.begin(), substrings.end());
  return prefixes;
}
}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  // Prefix and substring matches rank first: a user who types the start of a name means it.
  const auto matches = prefix_then_substring_matches(word, candidates);
  constexpr std::size_t kMaxListed = 6;
  if (matches.size() == 1) return fmt::format("did you mean {}?", matches.front());
  if (!matches.empty()) {
    const std::size_t listed = std::min(matches.size(), kMaxListed);
    std::string text = fmt::format(
        "did you mean one of {}",
        fmt::join(std::vector<std::string>(matches.begin(), matches.begin() + listed), ", "));
    if (matches.size() > listed) text += fmt::format(" (and {} more)", matches.size() - listed);
    return text + "?";
  }
  const std::string best = closest_match(word, candidates);
  if (!best.empty()) return fmt::format("did you mean {}?", best);
  std::vector<std::string> sorted = candidates;
  std::sort(sorted.begin(), sorted.end());
  return fmt::format("known: {}", fmt::join(sorted, ", "));
}

MapReader::MapReader(const Node& node, std::string path) : node_(node), path_(std::move(path)) {
  if (!node.is_map()) wrong(node, path_, "a map of keys");
}

std::string MapReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void MapReader::declare(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

const Node* MapReader::get(std::string_view key) {
  declare(key);
  const Node* value = node_.find(key);
  if (value != nullptr && value->kind == Node::Kind::null) return nullptr;
  return value;
}

const Node& MapReader::require(std::string_view key, std::string_view expected) {
  const Node* value = get(key);
  if (value == nullptr) {
    // A misspelt key is usually the reason a required one is missing: name it beside.
    for (const auto& entry : node_.entries)
      if (entry.key != key && !closest_match(entry.key, {std::string(key)}).empty() &&
          std::find(known_.begin(), known_.end(), entry.key) == known_.end()) {
        named_misspellings_.push_back(entry.key);
        throw UserError(node_.where, child_path(key), std::string(expected), "no such key",
                        fmt::format("this map has an unknown key '{}' at {}: did you mean {}?",
                                    entry.key, format_location(entry.key_where), key));
      }
    throw UserError(node_.where, child_path(key), std::string(expected), "no such key",
                    fmt::format("add '{}:' to this map", key));
  }
  return *value;
}

std::uint64_t MapReader::required_positive(std::string_view key) {
  return as_positive(require(key, "a positive whole number"), child_path(key));
}

std::optional<std::uint64_t> MapReader::optional_positive(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return std::nullopt;
  return as_positive(*value, child_path(key));
}

std::uint64_t MapReader::optional_positive(std::string_view key, std::uint64_t default_value) {
  return optional_positive(key).value_or(default_value);
}

std::optional<std::uint64_t> MapReader::optional_count(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return std::nullopt;
  return as_count(*value, child_path(key));
}

double MapReader::required_number(std::string_view key) {
  return as_number(require(key, "a number"), child_path(key));
}

std::optional<double> MapReader::optional_number(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return std::nullopt;
  return as_number(*value, child_path(key));
}

bool MapReader::optional_bool(std::string_view key, bool default_value) {
  const Node* value = get(key);
  if (value == nullptr) return default_value;
  if (value->is_scalar() && !value->quoted) {
    if (value->scalar == "true") return true;
    if (value->scalar == "false") return false;
  }
  wrong(*value, child_path(key), "true or false");
}

std::string MapReader::required_string(std::string_view key) {
  return as_string(require(key, "a text value"), child_path(key));
}

std::optional<std::string> MapReader::optional_string(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return std::nullopt;
  return as_string(*value, child_path(key));
}

namespace {
DType to_dtype(const Node& node, const std::string& path) {
  const auto dtype = parse_dtype(as_string(node, path));
  if (!dtype) wrong(node, path, "a dtype", did_you_mean(node.scalar, dtype_names()));
  return *dtype;
}
}  // namespace

DType MapReader::required_dtype(std::string_view key) {
  return to_dtype(require(key, "a dtype"), child_path(key));
}

std::optional<DType> MapReader::optional_dtype(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return std::nullopt;
  return to_dtype(*value, child_path(key));
}

std::vector<std::string> MapReader::optional_string_list(std::string_view key) {
  const Node* value = get(key);
  if (value == nullptr) return {};
  if (value->is_scalar()) return {value->scalar};
  if (!value->is_sequence()) wrong(*value, child_path(key), "a text or a list of texts");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value->items.size(); ++i)
    out.push_back(as_string(value->items[i], fmt::format("{}[{}]", child_path(key), i)));
  return out;
}

void MapReader::for_each_item(std::string_view key, std::string_view expected,
                              const std::function<void(const Node&, const std::string&)>& read) {
  const Node* value = get(key);
  if (value == nullptr) return;
  if (!value->is_sequence()) wrong(*value, child_path(key), std::string(expected));
  for (std::size_t i = 0; i < value->items.size(); ++i)
    read(value->items[i], fmt::format("{}[{}]", child_path(key), i));
}

void MapReader::finish() const {
  ErrorCollector errors;
  for (const auto& entry : node_.entries) {
    if (std::find(known_.begin(), known_.end(), entry.key) != known_.end()) continue;
    if (std::find(named_misspellings_.begin(), named_misspellings_.end(), entry.key) !=
        named_misspellings_.end())
      continue;
    errors.add(UserError(entry.key_where, child_path(entry.key), "a known key", "an unknown key",
                         did_you_mean(entry.key, known_)));
  }
  errors.throw_if_any();
}

}  // namespace attnsim::config
