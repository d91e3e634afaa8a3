// Reading a mixer map through its kind's field table.
#include "mixers/fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/error.h"
#include "mixers/mixer.h"

namespace attnsim {

std::string_view field_type_name(FieldType type) {
  switch (type) {
    case FieldType::positive:
      return "positive";
    case FieldType::count:
      return "count";
    case FieldType::number:
      return "number";
    case FieldType::flag:
      return "flag";
    case FieldType::choice:
      return "choice";
    case FieldType::dtype:
      return "dtype";
    case FieldType::mixer:
      return "mixer";
    case FieldType::map:
      return "map";
  }
  return "?";
}

std::string_view field_role_name(FieldRole role) {
  switch (role) {
    case FieldRole::none:
      return "";
    case FieldRole::heads:
      return "heads";
    case FieldRole::kv_heads:
      return "kv_heads";
    case FieldRole::head_groups:
      return "head_groups";
    case FieldRole::width:
      return "width";
    case FieldRole::latent_rank:
      return "latent_rank";
    case FieldRole::state_size:
      return "state_size";
    case FieldRole::window:
      return "window";
    case FieldRole::span:
      return "span";
  }
  return "?";
}

const Field* find_field(const FieldTable& table, std::string_view key) {
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const Field& f) { return f.key == key; });
  return found == table.end() ? nullptr : &*found;
}

const FieldTable* nested_fields(const FieldTable& table, std::string_view key,
                                const config::Node& nested) {
  const Field* field = find_field(table, key);
  if (field == nullptr || !nested.is_map()) return nullptr;
  if (field->type == FieldType::map) return field->fields;
  if (field->type != FieldType::mixer) return nullptr;
  const config::Node* kind = nested.find("kind");
  if (kind == nullptr || !kind->is_scalar()) return nullptr;
  const MixerKind* entry = find_mixer_kind(kind->scalar);
  return entry == nullptr ? nullptr : entry->fields;
}

namespace {
std::uint64_t default_integer(const Field& field) {
  std::uint64_t value = 0;
  const auto text = field.default_value;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  ATTNSIM_ASSERT(result.ec == std::errc() && result.ptr == text.data() + text.size(),
                 fmt::format("default of {} is an integer", field.key));
  return value;
}
}  // namespace

FieldValues::FieldValues(config::MapReader& reader, const FieldTable& table)
    : reader_(reader), table_(table) {
  // Each field is read on its own, so that a map with three mistakes reports all three.
  ErrorCollector errors;
  for (const Field& field : table) errors.attempt([&] { read(field); });
  errors.throw_if_any();
}

void FieldValues::read(const Field& field) {
  config::MapReader& reader = reader_;
  const std::string_view key = field.key;
  const bool required = field.default_value == kRequired;
  const bool defaulted = !required && !field.default_value.empty();
  Value& value = values_[std::string(key)];
  switch (field.type) {
    case FieldType::positive:
      if (required)
        value = reader.required_positive(key);
      else if (const auto v = reader.optional_positive(key))
        value = *v;
      else if (defaulted)
        value = default_integer(field);
      break;
    case FieldType::count:
      if (const auto v = reader.optional_count(key))
        value = *v;
      else if (required)
        value = reader.required_positive(key);  // reports the missing key
      else if (defaulted)
        value = default_integer(field);
      break;
    case FieldType::number:
      if (required)
        value = reader.required_number(key);
      else if (const auto v = reader.optional_number(key))
        value = *v;
      else if (defaulted)
        value = std::stod(std::string(field.default_value));
      break;
    case FieldType::flag:
      value = reader.optional_bool(key, field.default_value == "true");
      break;
    case FieldType::choice: {
      std::optional<std::string> text;
      if (required)
        text = reader.required_string(key);
      else
        text = reader.optional_string(key);
      if (!text) {
        if (defaulted) value = std::string(field.default_value);
        break;
      }
      std::vector<std::string> names(field.choices.begin(), field.choices.end());
      if (std::find(names.begin(), names.end(), *text) == names.end())
        reject(key, fmt::format("one of {}", fmt::join(names, ", ")), fmt::format("'{}'", *text),
               config::did_you_mean(*text, names));
      value = *text;
      break;
    }
    case FieldType::dtype:
      if (const auto v = reader.optional_dtype(key)) value = *v;
      break;
    case FieldType::mixer:
    case FieldType::map:
      reader.declare(key);  // the kind reads it with nested(), with its own message
      break;
  }
}

const FieldValues::Value& FieldValues::value(std::string_view key, FieldType type) const {
  const Field* field = find_field(table_, key);
  ATTNSIM_ASSERT(field != nullptr, fmt::format("'{}' is declared in the kind's field table", key));
  ATTNSIM_ASSERT(
      field->type == type || (field->type == FieldType::count && type == FieldType::positive),
      fmt::format("'{}' is read as its declared type", key));
  return values_.find(key)->second;
}

std::uint64_t FieldValues::positive(std::string_view key) const {
  const auto found = optional_positive(key);
  ATTNSIM_ASSERT(found.has_value(), fmt::format("'{}' is required or has a default", key));
  return *found;
}

std::optional<std::uint64_t> FieldValues::optional_positive(std::string_view key) const {
  const Value& v = value(key, FieldType::positive);
  if (const auto* number = std::get_if<std::uint64_t>(&v)) return *number;
  return std::nullopt;
}

std::uint64_t FieldValues::count(std::string_view key) const {
  const Value& v = value(key, FieldType::count);
  if (const auto* number = std::get_if<std::uint64_t>(&v)) return *number;
  return 0;
}

double FieldValues::number(std::string_view key) const {
  const Value& v = value(key, FieldType::number);
  ATTNSIM_ASSERT(std::holds_alternative<double>(v), fmt::format("'{}' has a value", key));
  return std::get<double>(v);
}

bool FieldValues::flag(std::string_view key) const {
  return std::get<bool>(value(key, FieldType::flag));
}

const std::string& FieldValues::choice(std::string_view key) const {
  const Value& v = value(key, FieldType::choice);
  ATTNSIM_ASSERT(std::holds_alternative<std::string>(v), fmt::format("'{}' has a value", key));
  return std::get<std::string>(v);
}

std::optional<DType> FieldValues::dtype(std::string_view key) const {
  const Value& v = value(key, FieldType::dtype);
  if (const auto* dtype = std::get_if<DType>(&v)) return *dtype;
  return std::nullopt;
}

config::MapReader FieldValues::nested(std::string_view key, std::string_view expected) const {
  const Field* field = find_field(table_, key);
  ATTNSIM_ASSERT(
      field != nullptr && (field->type == FieldType::mixer || field->type == FieldType::map),
      fmt::format("'{}' is a nested map", key));
  return config::MapReader(reader_.require(key, expected), reader_.child_path(key));
}

void FieldValues::require_divides(std::string_view divisor, std::string_view multiple,
                                  std::string hint, bool on_multiple) const {
  const std::uint64_t d = positive(divisor), m = positive(multiple);
  if (m % d == 0) return;
  if (on_multiple)
    reject(multiple, fmt::format("a multiple of {} ({})", divisor, d), std::to_string(m),
           std::move(hint));
  reject(divisor, fmt::format("a divisor of {} ({})", multiple, m), std::to_string(d),
         std::move(hint));
}

void FieldValues::reject(std::string_view key, std::string expected, std::string found,
                         std::string hint) const {
  const config::Node* node = reader_.node().find(key);
  throw UserError(node != nullptr ? node->where : reader_.node().where, reader_.child_path(key),
                  std::move(expected), std::move(found), std::move(hint));
}

}  // namespace attnsim
