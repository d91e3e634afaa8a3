// Renderings of the mixer-kind registry for `attnsim kinds`.
#include "report/kinds_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "report/table.h"

namespace attnsim::report {

namespace {
std::string default_text(const Field& field) {
  if (field.default_value.empty()) return "-";
  return std::string(field.default_value);
}

// Rows of `table`, nested map fields flattened as "parent.key".
void add_field_rows(Table& out, const FieldTable& table, const std::string& prefix) {
  for (const Field& field : table) {
    std::string description(field.description);
    if (!field.choices.empty()) description += fmt::format(" ({})", fmt::join(field.choices, "|"));
    out.add_row({prefix + std::string(field.key), std::string(field_type_name(field.type)),
                 std::string(field_role_name(field.role)), default_text(field),
                 std::string(field.unit), description});
    if (field.fields != nullptr)
      add_field_rows(out, *field.fields, prefix + std::string(field.key) + ".");
  }
}

nlohmann::ordered_json fields_json(const FieldTable& table) {
  auto fields = nlohmann::ordered_json::array();
  for (const Field& field : table) {
    nlohmann::ordered_json entry = {{"key", field.key},
                                    {"type", field_type_name(field.type)},
                                    {"role", field_role_name(field.role)},
                                    {"required", field.default_value == kRequired}};
    if (!field.default_value.empty() && field.default_value != kRequired)
      entry["default"] = field.default_value;
    entry["unit"] = field.unit;
    entry["description"] = field.description;
    if (!field.groups.empty()) entry["groups"] = field.groups;
    if (!field.choices.empty()) entry["choices"] = field.choices;
    if (field.fields != nullptr) entry["fields"] = fields_json(*field.fields);
    fields.push_back(std::move(entry));
  }
  return fields;
}

nlohmann::ordered_json kind_json(const MixerKind& kind) {
  return {{"kind", kind.kind},
          {"summary", kind.summary},
          {"fields", fields_json(*kind.fields)},
          {"cache", kind.cache},
          {"forms", kind.forms}};
}

TableFormat table_format(OutputFormat format) {
  return format == OutputFormat::markdown ? TableFormat::markdown
         : format == OutputFormat::csv    ? TableFormat::csv
                                          : TableFormat::text;
}
}  // namespace

std::string render_kind_list(OutputFormat format) {
  if (format == OutputFormat::json) {
    auto kinds = nlohmann::ordered_json::array();
    for (const auto& kind : mixer_kinds()) kinds.push_back(kind_json(kind));
    return kinds.dump(2) + "\n";
  }
  Table table{{{"kind", Align::left}, {"forms", Align::left}, {"summary", Align::left}}, {}};
  for (const auto& kind : mixer_kinds())
    table.add_row({std::string(kind.kind), fmt::format("{}", fmt::join(kind.forms, ", ")),
                   std::string(kind.summary)});
  return table.render(table_format(format));
}

std::string render_kind(const MixerKind& kind, OutputFormat format) {
  if (format == OutputFormat::json) return kind_json(kind).dump(2) + "\n";
  Table fields{{{"key", Align::left},
                {"type", Align::left},
                {"role", Align::left},
                {"default", Align::left},
                {"unit", Align::left},
                {"description", Align::left}},
               {}};
  add_field_rows(fields, *kind.fields, "");
  if (format == OutputFormat::csv) return fields.render(TableFormat::csv);
  const bool markdown = format == OutputFormat::markdown;
  std::string text = fmt::format("{}{}: {}\n\n", markdown ? "## " : "", kind.kind, kind.summary);
  text += fields.render(table_format(format));
  text += fmt::format("\n{}cache terms:\n", markdown ? "" : "");
  for (const auto& term : kind.cache) text += fmt::format("- {}\n", term);
  const bool nests = std::any_of(kind.fields->begin(), kind.fields->end(),
                                 [](const Field& field) { return field.type == FieldType::mixer; });
  text += fmt::format("\nreference forms: {}\n",
                      !kind.forms.empty() ? fmt::format("{}", fmt::join(kind.forms, ", "))
                      : nests             ? std::string("those of its nested mixers")
                                          : std::string("none: a cost model without a reference "
                                                                    "kernel (see the kind's README)"));
  return text;
}

}  // namespace attnsim::report
