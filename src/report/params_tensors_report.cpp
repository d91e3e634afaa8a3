// Tensor tables of `attnsim params --by tensor`: one row per folded name, parameters first, then
// the checkpoint extras (buffers) apart.
#include "report/params_tensors_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "report/json_document.h"
#include "report/table.h"

namespace attnsim::report {

namespace {
nlohmann::ordered_json json_tensors(const std::vector<import::NamedTensor>& tensors, bool stored) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& tensor : tensors)
    if (tensor.stored == stored)
      out.push_back({{"name", tensor.name},
                     {"layers", tensor.layers},
                     {"params", tensor.elements},
                     {"transformers_name", tensor.named}});
  return out;
}

std::string render_json(const std::vector<TensorListing>& listings) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& listing : listings)
    out.push_back({{"name", listing.name},
                   {"model_type", listing.model_type},
                   {"names_checked", import::names_checked(listing.model_type)},
                   {"params_total", listing.params_total},
                   {"tensors", json_tensors(listing.tensors, false)},
                   {"stored_tensors", json_tensors(listing.tensors, true)}});
  nlohmann::ordered_json document = json_document("params", std::move(out));
  document["by"] = "tensor";
  return dump_json(document);
}

Table tensor_table(const std::vector<import::NamedTensor>& tensors, bool stored) {
  Table table{{{"layers"}, {"params"}, {"name", Align::left}}, {}};
  for (const auto& tensor : tensors)
    if (tensor.stored == stored)
      table.add_row({fmt::format("{}", tensor.layers), fmt::format("{}", tensor.elements),
                     tensor.named ? tensor.name : tensor.name + "  (attnsim component)"});
  return table;
}
}  // namespace

std::string render_params_tensors(const std::vector<TensorListing>& listings, OutputFormat format) {
  if (format == OutputFormat::json) return render_json(listings);
  const TableFormat table_format = format == OutputFormat::markdown ? TableFormat::markdown
                                   : format == OutputFormat::csv    ? TableFormat::csv
                                                                    : TableFormat::text;
  if (format == OutputFormat::csv) {
    Table table{{{"architecture"}, {"name"}, {"layers"}, {"params"}, {"stored"}}, {}};
    for (const auto& listing : listings)
      for (const auto& tensor : listing.tensors)
        table.add_row({listing.name, tensor.name, fmt::format("{}", tensor.layers),
                       fmt::format("{}", tensor.elements), tensor.stored ? "true" : "false"});
    return table.render(table_format);
  }
  std::string out;
  for (const auto& listing : listings) {
    const std::string whose =
        listing.model_type.empty() ? "Llama's layout: the file gives no source.model_type"
        : import::names_checked(listing.model_type)
            ? "as transformers names them for model_type " + listing.model_type
            : "in Llama's layout: transformers has no model_type " + listing.model_type;
    out += fmt::format(
        "{}: {} parameters by tensor, {}; layers: how many layers have it (0: not in a layer), "
        "params summed over them\n",
        listing.name, listing.params_total, whose);
    out += tensor_table(listing.tensors, false).render(table_format);
    const Table stored = tensor_table(listing.tensors, true);
    if (!stored.rows.empty()) {
      out += "checkpoint extras (buffers a checkpoint stores, not parameters):\n";
      out += stored.render(table_format);
    }
    out += "\n";
  }
  return out;
}

}  // namespace attnsim::report
