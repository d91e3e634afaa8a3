// A mixer kind's parameters, declared once: a table of fields (key, type, role, default, unit,
// description) from which the YAML reader validates, by whose roles `simulate --scale-down` and
// the sweep knobs find what to change, and which `attnsim kinds` prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/reader.h"
#include "core/units.h"

namespace attnsim {

enum class FieldType {
  positive,  // an integer ≥ 1
  count,     // an integer ≥ 0
  number,    // a real number
  flag,      // true or false
  choice,    // one of Field::choices
  dtype,     // a storage dtype name (fp8, bf16, ...)
  mixer,     // a nested mixer map with its own `kind:` (read with make_mixer)
  map,       // a nested map whose keys are Field::fields
};

// What a field means to code that changes shapes without knowing the kind. Scale-down divides
// heads and head groups by N (keeping heads per group), widths by N, spans by S; the sweep knobs
// `kv_heads`, `latent_rank`, `state_size` and `window` set the field of that role.
enum class FieldRole {
  none,
  heads,        // a head count
  kv_heads,     // KV heads of attention: groups of query heads (GQA)
  head_groups,  // other groups of heads (delta-rule q/k heads, Mamba B/C groups)
  width,        // a per-head or inner width
  latent_rank,  // a compressed KV latent (MLA's kv_lora_rank)
  state_size,   // the width a recurrent state grows with (Mamba N, delta-rule Dk)
  window,       // W tokens of a sliding window
  span,         // another token span (local chunk, top-k)
};

inline constexpr std::string_view kRequired = "required";

struct Field {
  std::string_view key;
  FieldType type = FieldType::positive;
  FieldRole role = FieldRole::none;
  std::string_view default_value;  // kRequired, or "" (optional, no value when absent), or a value
  std::string_view unit;           // "heads", "channels", "tokens", ... ("" when unitless)
  std::string_view description;
  std::string_view groups = {};                // kv_heads / head_groups: the key of the heads
  std::vector<std::string_view> choices = {};  // choice: the accepted values
  const std::vector<Field>* fields = nullptr;  // map: its keys
};
using FieldTable = std::vector<Field>;

std::string_view field_type_name(FieldType type);
std::string_view field_role_name(FieldRole role);
// The field of `key` in `table` (nullptr if none).
const Field* find_field(const FieldTable& table, std::string_view key);
// The field table of the nested map `key` of a map read by `table`: the registered kind's table
// for a nested mixer (by its `kind:`), Field::fields for a nested map; nullptr otherwise.
const FieldTable* nested_fields(const FieldTable& table, std::string_view key,
                                const config::Node& nested);

// Every field of a table read from one YAML map, with types checked, choices validated and
// defaults applied. Kind code takes its typed values from here (asking for a key the table does
// not declare, or as another type, is our bug and fails loudly).
class FieldValues {
 public:
  FieldValues(config::MapReader& reader, const FieldTable& table);

  std::uint64_t positive(std::string_view key) const;  // required or defaulted
  std::optional<std::uint64_t> optional_positive(std::string_view key) const;
  std::uint64_t count(std::string_view key) const;
  double number(std::string_view key) const;
  bool flag(std::string_view key) const;
  const std::string& choice(std::string_view key) const;
  std::optional<DType> dtype(std::string_view key) const;
  bool has(std::string_view key) const { return reader_.has(key); }  // given in the file
  // A reader of a nested map (`mixer` or `map` field), with the path of its key; `expected`
  // describes it when it is missing.
  config::MapReader nested(std::string_view key, std::string_view expected) const;

  // Heads in equal groups: unless the positive field `divisor` divides the positive field
  // `multiple`, a user error on `divisor` ("a divisor of MULTIPLE (m)"), or with on_multiple on
  // `multiple` ("a multiple of DIVISOR (d)").
  void require_divides(std::string_view divisor, std::string_view multiple, std::string hint,
                       bool on_multiple = false) const;
  // A user error about `key`: at its location in the file (or at the map when absent).
  [[noreturn]] void reject(std::string_view key, std::string expected, std::string found,
                           std::string hint = {}) const;
  config::MapReader& reader() const { return reader_; }

 private:
  using Value = std::variant<std::monostate, std::uint64_t, double, bool, std::string, DType>;
  const Value& value(std::string_view key, FieldType type) const;
  void read(const Field& field);

  config::MapReader& reader_;
  const FieldTable& table_;
  std::map<std::string, Value, std::less<>> values_;
};

}  // namespace attnsim
